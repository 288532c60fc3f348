import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorInput } from '@atelier/model-formats';
import { createMergedModel } from './merged-model.js';
import { OnnxModel } from './onnx-model.js';
import { encodeExport, randomValues, randomWeights } from './testing/exporter-model.js';
import { runOutputs } from './testing/run-session.js';
import { HIDDEN, SEQUENCE, TEXT_ENCODER_SHAPES, VOCAB, textEncoderLikeGraph } from './testing/text-encoder-like.js';
import { embeddingVectors, planTextualInversion } from './textual-inversion.js';

const weights = randomWeights(TEXT_ENCODER_SHAPES, 9);
const TABLE = 'text_model.embeddings.token_embedding.weight';

function file(tensors: Record<string, { values: Float32Array; shape: number[] }>): SafetensorsFile {
  const inputs = new Map<string, TensorInput>(
    Object.entries(tensors).map(([name, { values, shape }]) => [name, { dtype: 'F32', shape, data: new Uint8Array(values.slice().buffer) }]),
  );
  return parseSafetensors(serializeSafetensors(inputs));
}

const ids = (values: readonly number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, SEQUENCE]);

test('embeddings become rows appended to the token table, with new ids a graph run looks up', async () => {
  const twoVectors = randomValues(2 * HIDDEN, 50, 1);
  const oneVector = randomValues(HIDDEN, 60, 1);
  const model = OnnxModel.fromBytes(encodeExport(textEncoderLikeGraph(weights)).model, null);
  const plan = await planTextualInversion(model, [
    { name: 'a1111-style', file: file({ emb_params: { values: twoVectors, shape: [2, HIDDEN] } }) },
    { name: '<cat-toy>', file: file({ '<cat-toy>': { values: oneVector, shape: [HIDDEN] } }) },
  ]);

  assert.deepEqual(plan.table, { initializer: TABLE, vocabSize: VOCAB, hidden: HIDDEN, idsInput: 'input_ids' });
  assert.deepEqual(plan.tokens.map((token) => [token.name, token.ids]), [['a1111-style', [10, 11]], ['<cat-toy>', [12]]]);
  assert.deepEqual(plan.tokens[0].vectors, [twoVectors.slice(0, HIDDEN), twoVectors.slice(HIDDEN)]);

  // Reference: the same encoder with the enlarged table written out by hand.
  const table = new Float32Array((VOCAB + 3) * HIDDEN);
  table.set(weights[TABLE]);
  table.set(twoVectors, VOCAB * HIDDEN);
  table.set(oneVector, (VOCAB + 2) * HIDDEN);
  const reference = encodeExport(textEncoderLikeGraph({ ...weights, [TABLE]: table }, { tableRows: VOCAB + 3 })).model;

  const merged = await createMergedModel(model, plan.updates, { patches: plan.patches });
  const prompt = ids([0, 10, 11, 12]);
  const actual = await runOutputs(merged.modelBytes, { input_ids: prompt }, merged.sessionOptions);
  const wanted = await runOutputs(reference, { input_ids: prompt });
  assert.deepEqual(actual.last_hidden_state, wanted.last_hidden_state);
  assert.deepEqual(await OnnxModel.fromBytes(merged.modelBytes, null).readFloat32(TABLE), table);

  // Prompts without the new tokens are unchanged.
  const plain = ids([0, 3, 4, 9]);
  const base = await runOutputs(encodeExport(textEncoderLikeGraph(weights)).model, { input_ids: plain });
  assert.deepEqual((await runOutputs(merged.modelBytes, { input_ids: plain })).last_hidden_state, base.last_hidden_state);
});

test('the pooled-token ArgMax still finds end-of-text when new ids are larger', async () => {
  const model = OnnxModel.fromBytes(encodeExport(textEncoderLikeGraph(weights)).model, null);
  const plan = await planTextualInversion(model, [{ name: 'x', file: file({ emb_params: { values: randomValues(2 * HIDDEN, 1), shape: [2, HIDDEN] } }) }]);
  const prompt = ids([0, 10, 9, 11]);
  const unguarded = await createMergedModel(model, plan.updates);
  assert.deepEqual((await runOutputs(unguarded.modelBytes, { input_ids: prompt })).eos_index, BigInt64Array.of(3n));
  const guarded = await createMergedModel(model, plan.updates, { patches: plan.patches });
  assert.deepEqual((await runOutputs(guarded.modelBytes, { input_ids: prompt })).eos_index, BigInt64Array.of(2n));
});

test('SDXL files carry one tensor per encoder; a width mismatch is refused', () => {
  const sdxl = { name: 'xl', file: file({ clip_l: { values: randomValues(HIDDEN, 1), shape: [1, HIDDEN] }, clip_g: { values: randomValues(16, 2), shape: [2, 8] } }) };
  assert.equal(embeddingVectors(sdxl, 'text_encoder', HIDDEN).length, 1);
  const g = embeddingVectors(sdxl, 'text_encoder_2', 8);
  assert.equal(g.length, 2);
  assert.equal(g[1].length, 8);
  assert.throws(() => embeddingVectors(sdxl, 'text_encoder_2', HIDDEN), /width 6/);
  const a1111 = { name: 'old', file: file({ 'string_to_param.*': { values: randomValues(3 * HIDDEN, 3), shape: [3, HIDDEN] } }) };
  assert.equal(embeddingVectors(a1111, 'text_encoder', HIDDEN).length, 3);
});
