import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float32Output, runModel } from '@atelier/onnx-graph/testing';
import { conditioningFromSummary, promptTokenFeatures, summarizeTokenFeatures } from './conditioning.js';
import { SUMMARY_FEATURES, TOKEN_FEATURES, wordFeatures } from './features.js';
import { buildTextEncoderGraph, tokenFeatureTable } from './text-encoder-graph.js';
import { simpleInputIds } from './testing/demo-inputs.js';
import { findClipTokenizerAssets, readVocab } from './tokenizer-assets.js';

const HIDDEN = 32;
let vocab: Record<string, number>;
let model: Uint8Array;

before(async () => {
  vocab = await readVocab(findClipTokenizerAssets());
  model = buildTextEncoderGraph({ vocab, hiddenSize: HIDDEN }).encode().model;
});

async function encode(prompts: readonly string[], length = 77): Promise<{ hidden: Float32Array; pooled: Float32Array }> {
  const ids = new BigInt64Array(prompts.length * length);
  prompts.forEach((prompt, b) => ids.set(simpleInputIds(vocab, prompt, length), b * length));
  const out = await runModel(model, { input_ids: new ort.Tensor('int64', ids, [prompts.length, length]) });
  assert.deepEqual(out.last_hidden_state.dims, [prompts.length, length, HIDDEN]);
  assert.deepEqual(out.pooler_output.dims, [prompts.length, HIDDEN]);
  return { hidden: float32Output(out, 'last_hidden_state'), pooled: float32Output(out, 'pooler_output') };
}

/** Asserts every position of item `b` holds the pooled vector and returns it. */
function summaryOf(result: { hidden: Float32Array; pooled: Float32Array }, b: number, length = 77): Float32Array {
  const pooled = result.pooled.subarray(b * HIDDEN, (b + 1) * HIDDEN);
  for (let s = 0; s < length; s++) {
    const offset = (b * length + s) * HIDDEN;
    assert.deepEqual(result.hidden.subarray(offset, offset + HIDDEN), pooled, `position ${s}`);
  }
  assert.ok(pooled.subarray(SUMMARY_FEATURES.size).every((v) => v === 0), 'padding beyond the summary is zero');
  return pooled;
}

test('the text encoder declares the I/O of a CLIPTextModel export', async () => {
  const session = await ort.InferenceSession.create(model);
  try {
    assert.deepEqual(
      session.inputMetadata.map((m) => (m.isTensor ? [m.name, m.type, m.shape] : [m.name])),
      [['input_ids', 'int64', ['batch_size', 'sequence_length']]],
    );
    assert.deepEqual(
      session.outputMetadata.map((m) => (m.isTensor ? [m.name, m.type, m.shape] : [m.name])),
      [
        ['last_hidden_state', 'float32', ['batch_size', 'sequence_length', HIDDEN]],
        ['pooler_output', 'float32', ['batch_size', HIDDEN]],
      ],
    );
  } finally {
    await session.release();
  }
});

test('"a red circle on a blue background" reads as a red circle on blue; "" reads as nothing', async () => {
  const result = await encode(['a red circle on a blue background', '']);
  assert.deepEqual(conditioningFromSummary(summaryOf(result, 0)), {
    shapes: ['circle'],
    shapeColour: [1, 0, 0],
    backgroundColour: [0, 0, 1],
  });
  assert.ok(summaryOf(result, 1).every((v) => v === 0), 'all-padding prompt gives zero features');
});

test('the graph reduction matches the TypeScript mirror on harder prompts', async () => {
  const prompts = [
    'a circle and a green box on a black backdrop',
    'a red circle and a blue square',
    'red ring , yellow stripe on white background',
    'a purple triangle next to an orange diamond and a teal plus on a gray background',
    'blue',
  ];
  const result = await encode(prompts);
  prompts.forEach((prompt, b) => {
    const expected = summarizeTokenFeatures(promptTokenFeatures(prompt));
    const actual = summaryOf(result, b).subarray(0, SUMMARY_FEATURES.size);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) < 1e-6, `${prompt} [${i}]`);
  });
  assert.deepEqual(conditioningFromSummary(summaryOf(result, 1)), {
    shapes: ['circle', 'square'],
    shapeColour: [0.5, 0, 0.5],
    backgroundColour: [0.5, 0.5, 0.5],
  });
  assert.deepEqual(conditioningFromSummary(summaryOf(result, 0)).shapeColour, [0, 1, 0], 'the uncoloured circle does not dilute green');
});

test('sequence length is symbolic as in real exports', async () => {
  const result = await encode(['a yellow diamond'], 8);
  assert.deepEqual(conditioningFromSummary(summaryOf(result, 0, 8)).shapes, ['diamond']);
});

test('the embedding table has features exactly on the vocabulary words', () => {
  const table = tokenFeatureTable(vocab);
  const row = (word: string): Float32Array => table.subarray(vocab[`${word}</w>`] * TOKEN_FEATURES.size, (vocab[`${word}</w>`] + 1) * TOKEN_FEATURES.size);
  assert.deepEqual(row('red'), wordFeatures('red'));
  assert.deepEqual(Array.from(row('red').subarray(0, 4)), [1, -1, -1, 1]);
  assert.ok(row('the').every((v) => v === 0));
  assert.throws(() => tokenFeatureTable({}), /single CLIP token/);
});
