import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { fromFloat16Bits, toFloat16Bits } from '@atelier/onnx-graph';
import { planLoraMerge, type LoraSource } from './lora.js';
import { createMergedModel } from './merged-model.js';
import { ModelGraph } from './model-graph.js';
import { OnnxModel } from './onnx-model.js';
import { encodeExport, randomWeights, saveExport, type FloatKind, type Weights } from './testing/exporter-model.js';
import { kohyaFile, loraModule, mergedReference, peftFile, roundedToHalf, type LoraModule } from './testing/lora-fixtures.js';
import { floatTensor, runOutputs, type OutputData } from './testing/run-session.js';
import { HIDDEN, SEQUENCE, TEXT_ENCODER_SHAPES, textEncoderLikeGraph } from './testing/text-encoder-like.js';
import { UNET_INPUTS, UNET_SHAPES, unetLikeGraph } from './testing/unet-like.js';

const ATTN = 'down_blocks.0.attentions.0.transformer_blocks.0';
const base = randomWeights(UNET_SHAPES, 1);
let dir: string;
let unetPath: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atelier-lora-'));
  unetPath = path.join(dir, 'unet', 'model.onnx');
  await saveExport(unetLikeGraph(base), unetPath, true);
});
after(() => rm(dir, { recursive: true, force: true }));

function unetFeeds(kind: FloatKind = 'float32'): Record<string, ort.Tensor> {
  return {
    sample: floatTensor(kind, UNET_INPUTS.sample, 11),
    time_embedding: floatTensor(kind, UNET_INPUTS.time_embedding, 12),
    encoder_hidden_states: floatTensor(kind, UNET_INPUTS.encoder_hidden_states, 13),
  };
}

async function referenceOutput(weights: Weights, kind: FloatKind = 'float32'): Promise<OutputData> {
  return (await runOutputs(encodeExport(unetLikeGraph(weights, kind)).model, unetFeeds(kind))).out_sample;
}

async function mergedOutput(loras: readonly LoraSource[]) {
  const model = await OnnxModel.load(unetPath);
  const plan = await planLoraMerge({ component: 'unet', graph: new ModelGraph(model) }, loras);
  const merged = await createMergedModel(model, plan.updates);
  const output = (await runOutputs(merged.modelBytes, unetFeeds(), merged.sessionOptions)).out_sample;
  return { plan, merged, output };
}

function assertClose(actual: OutputData, expected: OutputData, tolerance: number): void {
  const a = actual instanceof Uint16Array ? fromFloat16Bits(actual) : actual;
  const e = expected instanceof Uint16Array ? fromFloat16Bits(expected) : expected;
  assert.equal(a.length, e.length);
  for (let i = 0; i < e.length; i++) {
    const x = Number(a[i]);
    const y = Number(e[i]);
    assert.ok(Math.abs(x - y) <= tolerance * (1 + Math.abs(y)), `index ${i}: ${x} vs ${y}`);
  }
}

function maxDifference(a: OutputData, b: OutputData): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(Number(a[i]) - Number(b[i])));
  return max;
}

/** Every layer kind, named the ways kohya files name them (LDM and diffusers, 1×1 and 3×3 convs). */
const kohyaModules: LoraModule[] = [
  loraModule('lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q', `${ATTN}.attn1.to_q.weight`, [8, 8], 2, 100, { alpha: 1 }),
  loraModule(`lora_unet_${ATTN.replaceAll('.', '_')}_attn2_to_k`, `${ATTN}.attn2.to_k.weight`, [8, 6], 3, 110, { alpha: 6 }),
  loraModule('lora_unet_input_blocks_1_0_in_layers_2', 'down_blocks.0.resnets.0.conv1.weight', [8, 8, 3, 3], 2, 120, { alpha: 2 }),
  loraModule('lora_unet_input_blocks_1_1_proj_in', 'down_blocks.0.attentions.0.proj_in.weight', [8, 8, 1, 1], 2, 130, { alpha: 1, conv1x1Style: true }),
  loraModule('lora_unet_time_embed_0', 'time_embedding.linear_1.weight', [8, 5], 2, 140, { alpha: 1 }),
  loraModule('lora_unet_middle_block_1_transformer_blocks_0_ff_net_2', 'mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight', [8, 8], 4, 150),
  loraModule('lora_unet_output_blocks_5_1_transformer_blocks_0_attn1_to_v', 'up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_v.weight', [8, 8], 2, 160, { alpha: 0.5 }),
  loraModule(`lora_unet_${ATTN.replaceAll('.', '_')}_attn1_to_out_0`, `${ATTN}.attn1.to_out.0.weight`, [8, 8], 2, 170, { alpha: 2 }),
];

test('a kohya LoRA merges into W + weight·alpha/rank·up·down on every layer kind, base files untouched', async () => {
  const before = await snapshot(path.join(dir, 'unet'));
  const { plan, merged, output } = await mergedOutput([{ name: 'style', file: kohyaFile(kohyaModules), weight: 0.8 }]);

  assert.equal(plan.report.applied, kohyaModules.length);
  assert.equal(plan.report.unmatchedCount, 0);
  assert.equal(merged.layout, 'inline');
  const expected = await referenceOutput(mergedReference(base, kohyaModules.map((module) => ({ module, weight: 0.8 }))));
  assertClose(output, expected, 2e-5);
  assert.ok(maxDifference(output, await referenceOutput(base)) > 1e-2, 'the LoRA visibly changes the output');
  assert.deepEqual(await snapshot(path.join(dir, 'unet')), before);
});

test('a PEFT LoRA (lora_A / lora_B, float16, no alpha) merges into the UNet and the text encoder', async () => {
  const unetModules = [
    loraModule(`unet.${ATTN}.attn1.to_q`, `${ATTN}.attn1.to_q.weight`, [8, 8], 4, 200),
    loraModule('unet.down_blocks.0.resnets.0.conv1', 'down_blocks.0.resnets.0.conv1.weight', [8, 8, 3, 3], 2, 210),
  ];
  const textModules = [
    loraModule('text_encoder.text_model.encoder.layers.0.self_attn.q_proj', 'text_model.encoder.layers.0.self_attn.q_proj.weight', [HIDDEN, HIDDEN], 2, 220),
    loraModule('text_encoder.text_model.encoder.layers.0.mlp.fc1', 'text_model.encoder.layers.0.mlp.fc1.weight', [12, HIDDEN], 3, 230),
  ];
  const file = peftFile([...unetModules, ...textModules]);

  const unet = await mergedOutput([{ name: 'peft', file, weight: 1 }]);
  assert.equal(unet.plan.report.applied, 2);
  assert.equal(unet.plan.report.otherComponentKeys, 4);
  const expectedUnet = await referenceOutput(mergedReference(base, unetModules.map((module) => ({ module: roundedToHalf(module), weight: 1 }))));
  assertClose(unet.output, expectedUnet, 2e-5);

  const textBase = randomWeights(TEXT_ENCODER_SHAPES, 3);
  const textModel = OnnxModel.fromBytes(encodeExport(textEncoderLikeGraph(textBase)).model, null);
  const plan = await planLoraMerge({ component: 'text_encoder', graph: new ModelGraph(textModel) }, [{ name: 'peft', file, weight: 1 }]);
  assert.equal(plan.report.applied, 2);
  const merged = await createMergedModel(textModel, plan.updates);
  const feeds = { input_ids: idsTensor([0, 3, 5, 9]) };
  const expectedText = mergedReference(textBase, textModules.map((module) => ({ module: roundedToHalf(module), weight: 1 })));
  assertClose(
    (await runOutputs(merged.modelBytes, feeds, merged.sessionOptions)).last_hidden_state,
    (await runOutputs(encodeExport(textEncoderLikeGraph(expectedText)).model, feeds)).last_hidden_state,
    2e-5,
  );
});

test('weight 0 is the base model bit for bit', async () => {
  const file = kohyaFile(kohyaModules);
  const { plan, output } = await mergedOutput([{ name: 'style', file, weight: 0 }]);
  assert.equal(plan.updates.size, 0);
  assert.equal(plan.report.applied, 0);
  assert.deepEqual(output, (await runOutputs(unetPath, unetFeeds())).out_sample);

  const alone = await mergedOutput([{ name: 'style', file, weight: 0.5 }]);
  const withZero = await mergedOutput([
    { name: 'other', file: kohyaFile(kohyaModules.slice(0, 3)), weight: 0 },
    { name: 'style', file, weight: 0.5 },
  ]);
  assert.deepEqual(withZero.output, alone.output);
});

test('two LoRAs add up, including on the same weight', async () => {
  const second = [
    loraModule('lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q', `${ATTN}.attn1.to_q.weight`, [8, 8], 3, 300, { alpha: 3 }),
    loraModule('lora_unet_input_blocks_1_0_in_layers_2', 'down_blocks.0.resnets.0.conv1.weight', [8, 8, 3, 3], 1, 310, { alpha: 1 }),
  ];
  const { plan, output } = await mergedOutput([
    { name: 'a', file: kohyaFile(kohyaModules), weight: 0.7 },
    { name: 'b', file: kohyaFile(second), weight: -0.4 },
  ]);
  assert.equal(plan.report.applied, kohyaModules.length + second.length);
  const expected = mergedReference(base, [...kohyaModules.map((module) => ({ module, weight: 0.7 })), ...second.map((module) => ({ module, weight: -0.4 }))]);
  assertClose(output, await referenceOutput(expected), 2e-5);
});

test('keys that match nothing are counted and listed, the rest still merges', async () => {
  const file = kohyaFile(
    [
      ...kohyaModules.slice(0, 2),
      loraModule('lora_unet_input_blocks_7_1_proj_out', 'down_blocks.2.attentions.0.proj_out.weight', [8, 8], 2, 400),
      loraModule('lora_te_text_model_encoder_layers_0_self_attn_q_proj', 'text_model.encoder.layers.0.self_attn.q_proj.weight', [6, 6], 2, 410),
      // Right module, wrong shape: reported rather than merged.
      loraModule('lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_2', 'mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight', [8, 9], 2, 420),
    ],
    {
      'bogus.tensor': { dtype: 'F32', shape: [1], data: new Uint8Array(4) },
      'lora_unet_input_blocks_1_1_proj_out.hada_w1_a': { dtype: 'F32', shape: [1], data: new Uint8Array(4) },
    },
  );
  const { plan } = await mergedOutput([{ name: 'messy', file, weight: 1 }]);
  assert.equal(plan.report.applied, 2);
  assert.equal(plan.report.unmatchedCount, 4);
  assert.equal(plan.report.otherComponentKeys, 2);
  const text = plan.report.unmatched.join('\n');
  assert.match(text, /messy: lora_unet_input_blocks_7_1_proj_out\.lora_down\.weight \(no weight in the model\)/);
  assert.match(text, /messy: bogus\.tensor \(not a LoRA key/);
  assert.match(text, /hada_w1_a \(unsupported LoRA tensor/);
  assert.match(text, /ff_net_2.*shape mismatch/);
  assert.deepEqual([...plan.updates.keys()].sort(), ['onnx::MatMul_101', 'onnx::MatMul_102']);
});

test('a float16 export stays float16: base + delta rounded once', async () => {
  const halfBase = Object.fromEntries(Object.entries(base).map(([name, values]) => [name, fromFloat16Bits(toFloat16Bits(values))]));
  const model = OnnxModel.fromBytes(encodeExport(unetLikeGraph(base, 'float16')).model, null);
  const loras = [{ name: 'style', file: kohyaFile(kohyaModules), weight: 0.8 }];
  const plan = await planLoraMerge({ component: 'unet', graph: new ModelGraph(model) }, loras);
  const merged = await createMergedModel(model, plan.updates);
  const mergedModel = OnnxModel.fromBytes(merged.modelBytes, null);
  assert.equal(mergedModel.info('onnx::MatMul_101').dataType, 10);

  const expected = mergedReference(halfBase, kohyaModules.map((module) => ({ module, weight: 0.8 })));
  // The stored conv1 weight is the reference rounded to half, give or take one unit in the last place.
  const stored = toFloat16Bits(await mergedModel.readFloat32('down_blocks.0.resnets.0.conv1.weight'));
  const wanted = toFloat16Bits(expected['down_blocks.0.resnets.0.conv1.weight']);
  for (let i = 0; i < wanted.length; i++) assert.ok(Math.abs(stored[i] - wanted[i]) <= 1, `element ${i}`);

  const output = (await runOutputs(merged.modelBytes, unetFeeds('float16'), merged.sessionOptions)).out_sample;
  assert.ok(output instanceof Uint16Array);
  assertClose(output, await referenceOutput(expected, 'float16'), 2e-2);
});

function idsTensor(ids: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, SEQUENCE]);
}

async function snapshot(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).sort();
  return Promise.all(names.map(async (name) => `${name}:${(await stat(path.join(folder, name))).size}:${(await stat(path.join(folder, name))).mtimeMs}`));
}
