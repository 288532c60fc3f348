import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { createMergedModel, mergeSessionOptions } from './merged-model.js';
import { materializeMergedModel } from './model-cache.js';
import { OnnxModel } from './onnx-model.js';
import { encodeExport, randomValues, randomWeights, saveExport, transpose2d } from './testing/exporter-model.js';
import { floatTensor, runOutputs } from './testing/run-session.js';
import { UNET_INPUTS, UNET_SHAPES, unetLikeGraph } from './testing/unet-like.js';

const base = randomWeights(UNET_SHAPES, 5);
const changed = {
  ...base,
  'down_blocks.0.resnets.0.conv1.weight': randomValues(8 * 8 * 9, 77, 0.2),
  'mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight': randomValues(64, 78, 0.3),
};
// The same change as initializer updates: conv weights as stored, the Linear one transposed.
const updates = new Map([
  ['down_blocks.0.resnets.0.conv1.weight', changed['down_blocks.0.resnets.0.conv1.weight']],
  ['onnx::MatMul_104', transpose2d(changed['mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight'], 8, 8)],
]);
let dir: string;
let modelPath: string;
let expected: Float32Array;

const feeds = (): Record<string, ort.Tensor> => ({
  sample: floatTensor('float32', UNET_INPUTS.sample, 1),
  time_embedding: floatTensor('float32', UNET_INPUTS.time_embedding, 2),
  encoder_hidden_states: floatTensor('float32', UNET_INPUTS.encoder_hidden_states, 3),
});

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atelier-merge-'));
  modelPath = path.join(dir, 'base', 'model.onnx');
  await saveExport(unetLikeGraph(base), modelPath, true);
  expected = (await runOutputs(encodeExport(unetLikeGraph(changed)).model, feeds())).out_sample as Float32Array;
});
after(() => rm(dir, { recursive: true, force: true }));

test('inline layout: replaced tensors inline, the rest read by ORT from the base data file', async () => {
  const merged = await createMergedModel(modelPath, updates);
  assert.equal(merged.layout, 'inline');
  assert.deepEqual(merged.externalData, []);
  assert.deepEqual(merged.sessionOptions.extra, { 'session.model_external_initializers_file_folder_path': path.dirname(modelPath) });
  const model = OnnxModel.fromBytes(merged.modelBytes, null);
  assert.equal(model.info('onnx::MatMul_104').storage.kind, 'inline');
  assert.equal(model.info('onnx::MatMul_105').storage.kind, 'external');
  assert.deepEqual((await runOutputs(merged.modelBytes, feeds(), merged.sessionOptions)).out_sample, expected);
  // Without the folder ORT cannot find the untouched weights: the option is what makes it work.
  await assert.rejects(runOutputs(merged.modelBytes, feeds()));
});

test('in-memory external layout: every large tensor in numbered in-memory files', async () => {
  const merged = await createMergedModel(modelPath, updates, { layout: 'in-memory-external', chunkBytes: 1024, thresholdBytes: 64 });
  assert.equal(merged.layout, 'in-memory-external');
  assert.ok(merged.externalData.length > 1, 'small chunks force several files');
  assert.ok(merged.externalData.every((file) => /^atelier-weights-\d+\.bin$/.test(file.path)));
  assert.equal(merged.sessionOptions.extra, undefined);
  const model = OnnxModel.fromBytes(merged.modelBytes, null);
  for (const info of model.initializers.values()) {
    if (info.storage.kind === 'external') assert.match(info.storage.location, /^atelier-weights-/);
  }
  assert.deepEqual((await runOutputs(merged.modelBytes, feeds(), merged.sessionOptions)).out_sample, expected);
});

test('auto switches to in-memory files when the inline model would exceed the limit', async () => {
  const merged = await createMergedModel(modelPath, updates, { inlineLimitBytes: 1000 });
  assert.equal(merged.layout, 'in-memory-external');
  assert.deepEqual((await runOutputs(merged.modelBytes, feeds(), merged.sessionOptions)).out_sample, expected);
});

test('a model with every initializer inline merges without any folder', async () => {
  const inlineBase = OnnxModel.fromBytes(encodeExport(unetLikeGraph(base)).model, null);
  const merged = await createMergedModel(inlineBase, updates);
  assert.deepEqual(merged.sessionOptions, {});
  assert.deepEqual((await runOutputs(merged.modelBytes, feeds(), merged.sessionOptions)).out_sample, expected);
});

test('the on-disk fallback writes a content-addressed model once and reuses it', async () => {
  const cache = path.join(dir, 'cache');
  const key = 'ab'.repeat(32);
  const first = await materializeMergedModel(cache, key, await OnnxModel.load(modelPath), updates);
  assert.equal(first.written, true);
  assert.deepEqual((await readdir(path.dirname(first.path))).sort(), ['model.onnx', 'model.onnx_data']);
  assert.deepEqual((await runOutputs(first.path, feeds())).out_sample, expected);
  const second = await materializeMergedModel(cache, key, await OnnxModel.load(modelPath), new Map());
  assert.deepEqual(second, { path: first.path, written: false });
  await assert.rejects(materializeMergedModel(cache, '../escape', await OnnxModel.load(modelPath), updates), /hex/);
});

test('updates naming an unknown initializer or the wrong element count are refused', async () => {
  await assert.rejects(createMergedModel(modelPath, new Map([['nope', new Float32Array(1)]])), /no initializer named "nope"/);
  await assert.rejects(createMergedModel(modelPath, new Map([['onnx::MatMul_104', new Float32Array(3)]])), /3 values do not fill shape \[8, 8\]/);
});

test('provider options keep their extra entries next to the merged model folder', () => {
  const combined = mergeSessionOptions(
    { executionProviders: ['cpu'], extra: { 'session.disable_prepacking': '1' } },
    { sessionOptions: { extra: { 'session.model_external_initializers_file_folder_path': '/m' } } },
  );
  assert.deepEqual(combined, {
    executionProviders: ['cpu'],
    extra: { 'session.disable_prepacking': '1', 'session.model_external_initializers_file_folder_path': '/m' },
  });
});
