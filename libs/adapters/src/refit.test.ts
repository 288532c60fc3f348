import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { fromFloat16Bits, toFloat16Bits } from '@atelier/onnx-graph';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorInput } from '@atelier/model-formats';
import { ModelGraph } from './model-graph.js';
import { OnnxModel } from './onnx-model.js';
import { planRefit, refitUpdates } from './refit-plan.js';
import { refitModelFolder, RefitError } from './refit.js';
import { encodeExport, randomValues, randomWeights, saveExport, type Weights } from './testing/exporter-model.js';
import { floatTensor, runOutputs } from './testing/run-session.js';
import { HIDDEN, SEQUENCE, TEXT_ENCODER_SHAPES, textEncoderLikeGraph } from './testing/text-encoder-like.js';
import { UNET_INPUTS, UNET_SHAPES, unetLikeGraph } from './testing/unet-like.js';
import { VAE_SHAPES, vaeDecoderLikeGraph } from './testing/vae-decoder-like.js';
import { writeModel } from './write-model.js';

const ATTN = 'down_blocks.0.attentions.0.transformer_blocks.0';
const LDM_ATTN = 'input_blocks.1.1.transformer_blocks.0';

/** diffusers parameter → its name in an original SD 1.x checkpoint, written out by hand. */
const UNET_LDM: Record<string, string> = {
  'conv_in.weight': 'input_blocks.0.0.weight',
  'conv_in.bias': 'input_blocks.0.0.bias',
  'down_blocks.0.resnets.0.conv1.weight': 'input_blocks.1.0.in_layers.2.weight',
  'time_embedding.linear_1.weight': 'time_embed.0.weight',
  'time_embedding.linear_1.bias': 'time_embed.0.bias',
  'down_blocks.0.attentions.0.proj_in.weight': 'input_blocks.1.1.proj_in.weight',
  'down_blocks.0.attentions.0.proj_in.bias': 'input_blocks.1.1.proj_in.bias',
  [`${ATTN}.attn1.to_q.weight`]: `${LDM_ATTN}.attn1.to_q.weight`,
  [`${ATTN}.attn2.to_k.weight`]: `${LDM_ATTN}.attn2.to_k.weight`,
  [`${ATTN}.attn1.to_out.0.weight`]: `${LDM_ATTN}.attn1.to_out.0.weight`,
  [`${ATTN}.attn1.to_out.0.bias`]: `${LDM_ATTN}.attn1.to_out.0.bias`,
  'mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight': 'middle_block.1.transformer_blocks.0.ff.net.2.weight',
  'up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_v.weight': 'output_blocks.5.1.transformer_blocks.0.attn1.to_v.weight',
  // down_blocks.0.resnets.0.conv1.bias is left out on purpose: it must stay and be reported.
};

const VAE_LDM: Record<string, string> = {
  'post_quant_conv.weight': 'post_quant_conv.weight',
  'post_quant_conv.bias': 'post_quant_conv.bias',
  'decoder.conv_in.weight': 'decoder.conv_in.weight',
  'decoder.conv_in.bias': 'decoder.conv_in.bias',
  'decoder.mid_block.resnets.0.norm1.weight': 'decoder.mid.block_1.norm1.weight',
  'decoder.mid_block.resnets.0.norm1.bias': 'decoder.mid.block_1.norm1.bias',
  'decoder.mid_block.resnets.0.conv1.weight': 'decoder.mid.block_1.conv1.weight',
  'decoder.mid_block.resnets.0.conv1.bias': 'decoder.mid.block_1.conv1.bias',
  'decoder.mid_block.attentions.0.to_q.weight': 'decoder.mid.attn_1.q.weight',
  'decoder.mid_block.attentions.0.to_q.bias': 'decoder.mid.attn_1.q.bias',
  'decoder.up_blocks.0.resnets.0.conv1.weight': 'decoder.up.3.block.0.conv1.weight',
  'decoder.up_blocks.0.resnets.0.conv1.bias': 'decoder.up.3.block.0.conv1.bias',
};

const w0 = { unet: randomWeights(UNET_SHAPES, 20), text: randomWeights(TEXT_ENCODER_SHAPES, 21), vae: randomWeights(VAE_SHAPES, 22) };
const w1 = { unet: randomWeights(UNET_SHAPES, 30), text: randomWeights(TEXT_ENCODER_SHAPES, 31), vae: randomWeights(VAE_SHAPES, 32) };
const halfRounded = (weights: Weights): Weights =>
  Object.fromEntries(Object.entries(weights).map(([name, values]) => [name, fromFloat16Bits(toFloat16Bits(values))]));

let dir: string;
let baseDir: string;

const f32 = (values: Float32Array, shape: readonly number[]): TensorInput => ({ dtype: 'F32', shape, data: new Uint8Array(values.slice().buffer) });
const f16 = (values: Float32Array, shape: readonly number[]): TensorInput => ({ dtype: 'F16', shape, data: new Uint8Array(toFloat16Bits(values).buffer) });

function checkpoint(extra: Record<string, TensorInput> = {}): SafetensorsFile {
  const tensors = new Map<string, TensorInput>(Object.entries(extra));
  for (const [parameter, ldm] of Object.entries(UNET_LDM)) tensors.set(`model.diffusion_model.${ldm}`, f32(w1.unet[parameter], UNET_SHAPES[parameter]));
  for (const [parameter, shape] of Object.entries(TEXT_ENCODER_SHAPES)) tensors.set(`cond_stage_model.transformer.${parameter}`, f16(w1.text[parameter], shape));
  for (const [parameter, ldm] of Object.entries(VAE_LDM)) {
    // LDM keeps the VAE attention projections as 1×1 convolutions.
    const shape = ldm.includes('attn_1.q.weight') ? [4, 4, 1, 1] : VAE_SHAPES[parameter];
    tensors.set(`first_stage_model.${ldm}`, f32(w1.vae[parameter], shape));
  }
  tensors.set('cond_stage_model.transformer.text_model.embeddings.position_ids', { dtype: 'I64', shape: [1, SEQUENCE], data: new Uint8Array(8 * SEQUENCE) });
  tensors.set('model_ema.decay', f32(Float32Array.of(0.999), []));
  tensors.set('first_stage_model.encoder.conv_in.weight', f32(randomValues(4, 1), [4]));
  tensors.set('model.diffusion_model.output_blocks.11.1.proj_out.weight', f32(randomValues(4, 1), [2, 2]));
  return parseSafetensors(serializeSafetensors(tensors));
}

const unetFeeds = (): Record<string, ort.Tensor> => ({
  sample: floatTensor('float32', UNET_INPUTS.sample, 1),
  time_embedding: floatTensor('float32', UNET_INPUTS.time_embedding, 2),
  encoder_hidden_states: floatTensor('float32', UNET_INPUTS.encoder_hidden_states, 3),
});
const textFeeds = (): Record<string, ort.Tensor> => ({ input_ids: new ort.Tensor('int64', BigInt64Array.of(0n, 4n, 7n, 9n), [1, SEQUENCE]) });
const vaeFeeds = (): Record<string, ort.Tensor> => ({ latent_sample: floatTensor('float32', [1, 4, 2, 2], 4) });

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'atelier-refit-'));
  baseDir = path.join(dir, 'base');
  await saveExport(unetLikeGraph(w0.unet), path.join(baseDir, 'unet', 'model.onnx'), true);
  await saveExport(textEncoderLikeGraph(w0.text), path.join(baseDir, 'text_encoder', 'model.onnx'));
  await saveExport(vaeDecoderLikeGraph(w0.vae), path.join(baseDir, 'vae_decoder', 'model.onnx'));
  for (const [file, text] of [
    ['model_index.json', '{"_class_name": "OnnxStableDiffusionPipeline"}'],
    ['scheduler/scheduler_config.json', '{"num_train_timesteps": 1000}'],
    ['tokenizer/vocab.json', '{"a</w>": 0}'],
    ['unet/config.json', '{"sample_size": 64}'],
  ]) {
    await mkdir(path.dirname(path.join(baseDir, file)), { recursive: true });
    await writeFile(path.join(baseDir, file), text);
  }
});
after(() => rm(dir, { recursive: true, force: true }));

test('a refit folder computes what the checkpoint weights compute, component by component', async () => {
  const out = path.join(dir, 'refit');
  const report = await refitModelFolder(checkpoint(), baseDir, out);

  const byComponent = Object.fromEntries(report.components.map((component) => [component.component, component]));
  assert.deepEqual(Object.keys(byComponent).sort(), ['text_encoder', 'unet', 'vae_decoder']);
  assert.equal(byComponent.unet.replaced, Object.keys(UNET_LDM).length);
  assert.deepEqual(byComponent.unet.untouchedParameters, ['down_blocks.0.resnets.0.conv1.bias']);
  assert.deepEqual(byComponent.text_encoder.untouchedParameters, []);
  assert.deepEqual(byComponent.vae_decoder.untouchedParameters, []);
  assert.deepEqual([...report.unmapped].sort(), ['first_stage_model.encoder.conv_in.weight', 'model.diffusion_model.output_blocks.11.1.proj_out.weight']);
  assert.deepEqual([...report.ignored].sort(), ['cond_stage_model.transformer.text_model.embeddings.position_ids', 'model_ema.decay']);
  assert.deepEqual(report.mismatched, []);

  const unetExpected = { ...w1.unet, 'down_blocks.0.resnets.0.conv1.bias': w0.unet['down_blocks.0.resnets.0.conv1.bias'] };
  assert.deepEqual(
    (await runOutputs(path.join(out, 'unet', 'model.onnx'), unetFeeds())).out_sample,
    (await runOutputs(encodeExport(unetLikeGraph(unetExpected)).model, unetFeeds())).out_sample,
  );
  assert.deepEqual(
    (await runOutputs(path.join(out, 'text_encoder', 'model.onnx'), textFeeds())).last_hidden_state,
    (await runOutputs(encodeExport(textEncoderLikeGraph(halfRounded(w1.text))).model, textFeeds())).last_hidden_state,
  );
  assert.deepEqual(
    (await runOutputs(path.join(out, 'vae_decoder', 'model.onnx'), vaeFeeds())).sample,
    (await runOutputs(encodeExport(vaeDecoderLikeGraph(w1.vae)).model, vaeFeeds())).sample,
  );

  assert.deepEqual((await readdir(path.join(out, 'unet'))).sort(), ['config.json', 'model.onnx', 'model.onnx_data']);
  assert.equal(await readFile(path.join(out, 'scheduler', 'scheduler_config.json'), 'utf8'), '{"num_train_timesteps": 1000}');
  assert.equal(await readFile(path.join(out, 'tokenizer', 'vocab.json'), 'utf8'), '{"a</w>": 0}');
  // The base still computes the base weights.
  assert.deepEqual(
    (await runOutputs(path.join(baseDir, 'unet', 'model.onnx'), unetFeeds())).out_sample,
    (await runOutputs(encodeExport(unetLikeGraph(w0.unet)).model, unetFeeds())).out_sample,
  );
});

test('a tensor whose shape does not fit stops the refit before anything is written', async () => {
  const out = path.join(dir, 'refit-bad');
  const bad = checkpoint({ 'model.diffusion_model.input_blocks.1.1.proj_in.weight': f32(randomValues(64, 1), [8, 8, 1, 1]) });
  const wrong = new Map(bad.tensors);
  wrong.set('model.diffusion_model.time_embed.0.weight', { dtype: 'F32', shape: [5, 8], data: new Uint8Array(160) });
  const error = await refitModelFolder({ tensors: wrong, metadata: {} }, baseDir, out).catch((caught: unknown) => caught);
  assert.ok(error instanceof RefitError);
  assert.equal(error.mismatched.length, 1);
  assert.match(error.mismatched[0], /time_embed\.0\.weight → unet\/time_embedding\.linear_1\.weight: checkpoint shape \[5, 8\] does not fit \[8, 5\]/);
  await assert.rejects(readdir(out));
  await assert.rejects(refitModelFolder(bad, baseDir, path.join(baseDir, 'inside')), /outside the base model folder/);
});

test('OpenCLIP names (SD 2.x): fused q/k/v rows feed q_proj, c_fc / c_proj feed the MLP', async () => {
  const model = OnnxModel.fromBytes(encodeExport(textEncoderLikeGraph(w0.text)).model, null);
  const fused = randomValues(3 * HIDDEN * HIDDEN, 90);
  const fusedBias = randomValues(3 * HIDDEN, 91);
  const file = parseSafetensors(
    serializeSafetensors({
      'cond_stage_model.model.token_embedding.weight': f32(w1.text['text_model.embeddings.token_embedding.weight'], TEXT_ENCODER_SHAPES['text_model.embeddings.token_embedding.weight']),
      'cond_stage_model.model.positional_embedding': f32(w1.text['text_model.embeddings.position_embedding.weight'], [SEQUENCE, HIDDEN]),
      'cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight': f32(fused, [3 * HIDDEN, HIDDEN]),
      'cond_stage_model.model.transformer.resblocks.0.attn.in_proj_bias': f32(fusedBias, [3 * HIDDEN]),
      'cond_stage_model.model.transformer.resblocks.0.mlp.c_fc.weight': f32(w1.text['text_model.encoder.layers.0.mlp.fc1.weight'], [12, HIDDEN]),
      'cond_stage_model.model.transformer.resblocks.0.mlp.c_fc.bias': f32(w1.text['text_model.encoder.layers.0.mlp.fc1.bias'], [12]),
      'cond_stage_model.model.transformer.resblocks.0.mlp.c_proj.weight': f32(w1.text['text_model.encoder.layers.0.mlp.fc2.weight'], [HIDDEN, 12]),
      'cond_stage_model.model.ln_final.weight': f32(w1.text['text_model.final_layer_norm.weight'], [HIDDEN]),
      'cond_stage_model.model.ln_final.bias': f32(w1.text['text_model.final_layer_norm.bias'], [HIDDEN]),
    }),
  );
  const plan = planRefit(file, new Map([['text_encoder', new ModelGraph(model)]]));
  assert.deepEqual(plan.unmapped, []);
  const out = path.join(dir, 'openclip', 'model.onnx');
  await writeModel(model, refitUpdates(plan.assignments.get('text_encoder') ?? new Map()), out);
  const expected = {
    ...w1.text,
    'text_model.encoder.layers.0.self_attn.q_proj.weight': fused.slice(0, HIDDEN * HIDDEN),
    'text_model.encoder.layers.0.self_attn.q_proj.bias': fusedBias.slice(0, HIDDEN),
  };
  assert.deepEqual(
    (await runOutputs(out, textFeeds())).last_hidden_state,
    (await runOutputs(encodeExport(textEncoderLikeGraph(expected)).model, textFeeds())).last_hidden_state,
  );
});
