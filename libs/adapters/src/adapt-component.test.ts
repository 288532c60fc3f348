import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { parseSafetensors, serializeSafetensors } from '@atelier/model-formats';
import { adaptComponent, adaptedComponentKey } from './adapt-component.js';
import { adapterSetKey } from './adapter-set-key.js';
import { encodeExport, randomValues, randomWeights, saveExport } from './testing/exporter-model.js';
import { kohyaFile, loraModule, mergedReference } from './testing/lora-fixtures.js';
import { floatTensor } from './testing/run-session.js';
import { HIDDEN, SEQUENCE, TEXT_ENCODER_SHAPES, VOCAB, textEncoderLikeGraph } from './testing/text-encoder-like.js';
import { UNET_INPUTS, UNET_SHAPES, unetLikeGraph } from './testing/unet-like.js';

const TABLE = 'text_model.embeddings.token_embedding.weight';

let dir: string;
const textModule = loraModule('lora_te_text_model_encoder_layers_0_mlp_fc1', 'text_model.encoder.layers.0.mlp.fc1.weight', [12, HIDDEN], 2, 2, { alpha: 2 });
const lora = kohyaFile([loraModule('lora_unet_input_blocks_1_0_in_layers_2', 'down_blocks.0.resnets.0.conv1.weight', [8, 8, 3, 3], 2, 1, { alpha: 1 }), textModule]);
const vector = randomValues(HIDDEN, 3);
const embedding = parseSafetensors(serializeSafetensors({ emb_params: { dtype: 'F32', shape: [1, HIDDEN], data: new Uint8Array(vector.slice().buffer) } }));
const textWeights = randomWeights(TEXT_ENCODER_SHAPES, 2);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atelier-adapt-'));
  await saveExport(unetLikeGraph(randomWeights(UNET_SHAPES, 1)), path.join(dir, 'unet', 'model.onnx'), true);
  await saveExport(textEncoderLikeGraph(textWeights), path.join(dir, 'text_encoder', 'model.onnx'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function run(create: () => Promise<ort.InferenceSession>, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await create();
  try {
    const outputs = await session.run(feeds);
    return (outputs[session.outputNames[0]].data as Float32Array).slice();
  } finally {
    await session.release();
  }
}

test('pool keys: one per model, adapter set and weights, independent of order, blind to weight-0 LoRAs', async () => {
  const modelPath = path.join(dir, 'unet', 'model.onnx');
  const a = { name: 'a', id: 'sha-a', file: lora, weight: 0.5 };
  const b = { name: 'b', id: 'sha-b', file: lora, weight: 1 };
  const key = await adaptedComponentKey({ modelPath, loras: [a, b] });
  assert.equal(key, await adaptedComponentKey({ modelPath, loras: [b, a] }));
  assert.notEqual(key, await adaptedComponentKey({ modelPath, loras: [a, { ...b, weight: 0.9 }] }));
  assert.equal(await adaptedComponentKey({ modelPath, loras: [a, { ...b, weight: 0 }] }), await adaptedComponentKey({ modelPath, loras: [a] }));
  assert.notEqual(key, await adaptedComponentKey({ modelPath: path.join(dir, 'text_encoder', 'model.onnx'), loras: [a, b] }));
  assert.equal(adapterSetKey('m', []).length, 64);
});

test('adaptComponent: base file without adapters, merged sessions with them, in memory or cached on disk', async () => {
  const unetPath = path.join(dir, 'unet', 'model.onnx');
  const feeds = {
    sample: floatTensor('float32', UNET_INPUTS.sample, 4),
    time_embedding: floatTensor('float32', UNET_INPUTS.time_embedding, 5),
    encoder_hidden_states: floatTensor('float32', UNET_INPUTS.encoder_hidden_states, 6),
  };
  const bare = await adaptComponent({ modelPath: unetPath, component: 'unet', loras: [{ name: 'l', id: 'x', file: lora, weight: 0 }] });
  const baseOutput = await run(() => bare.source.create({}), feeds);
  assert.equal(bare.loraReport, null);

  const merged = await adaptComponent({ modelPath: unetPath, component: 'unet', loras: [{ name: 'l', id: 'x', file: lora, weight: 1 }] });
  assert.equal(merged.loraReport?.applied, 1);
  assert.equal(merged.loraReport?.otherComponentKeys, 3);
  const mergedOutput = await run(() => merged.source.create({ executionProviders: ['cpu'] }), feeds);
  assert.notDeepEqual(mergedOutput, baseOutput);

  const cacheDir = path.join(dir, 'cache');
  const cached = await adaptComponent({ modelPath: unetPath, component: 'unet', loras: [{ name: 'l', id: 'x', file: lora, weight: 1 }], cacheDir });
  assert.deepEqual(await readdir(cacheDir), [cached.source.key]);
  assert.deepEqual(await run(() => cached.source.create({}), feeds), mergedOutput);
});

test('a text encoder gets LoRA and embedding tokens together', async () => {
  const adapted = await adaptComponent({
    modelPath: path.join(dir, 'text_encoder', 'model.onnx'),
    component: 'text_encoder',
    loras: [{ name: 'l', id: 'x', file: lora, weight: 1 }],
    embeddings: [{ name: 'my-style', id: 'e', file: embedding }],
  });
  assert.equal(adapted.loraReport?.applied, 1);
  assert.deepEqual(adapted.tokens.map((token) => [token.name, token.ids]), [['my-style', [10]]]);
  const ids = new ort.Tensor('int64', BigInt64Array.of(0n, 10n, 9n, 9n), [1, SEQUENCE]);
  const output = await run(() => adapted.source.create({}), { input_ids: ids });

  const table = new Float32Array((VOCAB + 1) * HIDDEN);
  table.set(textWeights[TABLE]);
  table.set(vector, VOCAB * HIDDEN);
  const expected = { ...mergedReference(textWeights, [{ module: textModule, weight: 1 }]), [TABLE]: table };
  const reference = await run(() => ort.InferenceSession.create(encodeExport(textEncoderLikeGraph(expected, { tableRows: VOCAB + 1 })).model), { input_ids: ids });
  assert.equal(output.length, reference.length);
  output.forEach((value, i) => assert.ok(Math.abs(value - reference[i]) < 1e-5, `index ${i}: ${value} vs ${reference[i]}`));
});
