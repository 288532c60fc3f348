import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { onnx } from '@atelier/onnx-graph';
import { describeModel, type DescribedValue } from '../testing/session-io.js';
import { TOKENIZER_FILES, findPadBangTokenizerAssets } from '../tokenizer-assets.js';
import { DEMO_VARIANTS, buildDemoVariant, type DemoVariant, type DemoVariantInfo } from './build-demo-variant.js';

let root: string;
const built = new Map<DemoVariant, DemoVariantInfo>();

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'demo-variants-'));
  for (const variant of DEMO_VARIANTS) built.set(variant, await buildDemoVariant(join(root, variant), variant));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const info = (variant: DemoVariant): DemoVariantInfo => {
  const model = built.get(variant);
  if (!model) throw new Error(`${variant} was not built`);
  return model;
};
const readJson = async (path: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
const componentJson = (variant: DemoVariant, folder: string): Promise<Record<string, unknown>> => readJson(join(info(variant).dir, folder, 'config.json'));

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name))).sort();
}

const tokenizerFiles = (folder: string): string[] => TOKENIZER_FILES.map((file) => `${folder}/${file}`);
const componentFiles = (folder: string, { config = true, data = false } = {}): string[] => [
  ...(config ? [`${folder}/config.json`] : []),
  `${folder}/model.onnx`,
  ...(data ? [`${folder}/model.onnx_data`] : []),
];
const sd15Files = (options: { config?: boolean } = {}): string[] => [
  ...tokenizerFiles('tokenizer'),
  ...componentFiles('text_encoder', options),
  ...componentFiles('unet', { ...options, data: true }),
  ...componentFiles('vae_decoder', options),
  ...componentFiles('vae_encoder', options),
];
const EXPECTED_FILES: Record<DemoVariant, string[]> = {
  sdxl: [
    ...tokenizerFiles('tokenizer'),
    ...tokenizerFiles('tokenizer_2'),
    ...componentFiles('text_encoder'),
    ...componentFiles('text_encoder_2'),
    ...componentFiles('unet', { data: true }),
    ...componentFiles('vae_decoder'),
    ...componentFiles('vae_encoder'),
  ],
  'sdxl-refiner': [
    ...tokenizerFiles('tokenizer_2'),
    ...componentFiles('text_encoder_2'),
    ...componentFiles('unet', { data: true }),
    ...componentFiles('vae_decoder'),
    ...componentFiles('vae_encoder'),
  ],
  inpaint: sd15Files(),
  lcm: sd15Files(),
  fp16: sd15Files(),
  'wild-sd15': sd15Files({ config: false }),
};

test('every variant folder holds exactly the files of its export layout, and an atelier.json description', async () => {
  for (const variant of DEMO_VARIANTS) {
    const model = info(variant);
    const expected = [...EXPECTED_FILES[variant], 'atelier.json', 'model_index.json', 'scheduler/scheduler_config.json'].sort();
    assert.deepEqual(await listFiles(model.dir), expected, variant);
    const manifest = await readJson(model.paths.manifest);
    assert.deepEqual(Object.keys(manifest), ['description'], variant);
    assert.equal(manifest.description, model.description);
    assert.ok(model.description.length > 20);
    assert.equal(model.paths.unetExternalData, join(model.dir, 'unet', 'model.onnx_data'));
    assert.deepEqual([model.defaultWidth, model.defaultHeight, model.predictionType], [256, 256, 'epsilon']);
  }
});

test('SDXL base and refiner: model index, Euler scheduler, tokenizer_2 padded with "!", SDXL configs', async () => {
  const base = await readJson(info('sdxl').paths.modelIndex);
  assert.equal(base._class_name, 'StableDiffusionXLPipeline');
  assert.equal(base.force_zeros_for_empty_prompt, true);
  assert.deepEqual([base.text_encoder, base.text_encoder_2, base.tokenizer_2], [['transformers', 'CLIPTextModel'], ['transformers', 'CLIPTextModelWithProjection'], ['transformers', 'CLIPTokenizer']]);
  const refiner = await readJson(info('sdxl-refiner').paths.modelIndex);
  assert.equal(refiner._class_name, 'StableDiffusionXLImg2ImgPipeline');
  assert.deepEqual([refiner.requires_aesthetics_score, refiner.force_zeros_for_empty_prompt, refiner.text_encoder, refiner.tokenizer], [true, false, [null, null], [null, null]]);

  for (const variant of ['sdxl', 'sdxl-refiner'] as const) {
    const model = info(variant);
    const scheduler = await readJson(model.paths.schedulerConfig);
    assert.deepEqual(
      [scheduler._class_name, scheduler.beta_schedule, scheduler.beta_start, scheduler.beta_end, scheduler.prediction_type, scheduler.timestep_spacing, scheduler.steps_offset],
      ['EulerDiscreteScheduler', 'scaled_linear', 0.00085, 0.012, 'epsilon', 'leading', 1],
    );
    assert.equal(model.scalingFactor, 0.13025);
    for (const vae of ['vae_decoder', 'vae_encoder']) assert.equal((await componentJson(variant, vae)).scaling_factor, 0.13025);
    const tokenizer2 = model.paths.tokenizer2 ?? '';
    assert.equal((await readJson(join(tokenizer2, 'tokenizer_config.json'))).pad_token, '!');
    for (const file of TOKENIZER_FILES) assert.deepEqual(await readFile(join(tokenizer2, file)), await readFile(join(findPadBangTokenizerAssets(), file)));
    const encoder2 = await componentJson(variant, 'text_encoder_2');
    assert.deepEqual([encoder2.architectures, encoder2.hidden_size, encoder2.num_hidden_layers, encoder2.projection_dim], [['CLIPTextModelWithProjection'], 1280, 32, 1280]);
  }
  assert.equal(info('sdxl-refiner').paths.textEncoder, null);
  assert.equal(info('sdxl-refiner').paths.tokenizer, null);
  assert.notEqual((await readJson(join(info('sdxl').paths.tokenizer ?? '', 'tokenizer_config.json'))).pad_token, '!');
  assert.equal((await componentJson('sdxl', 'text_encoder')).num_hidden_layers, 12);

  const baseUnet = await componentJson('sdxl', 'unet');
  assert.deepEqual(
    [baseUnet.cross_attention_dim, baseUnet.addition_embed_type, baseUnet.addition_time_embed_dim, baseUnet.projection_class_embeddings_input_dim, baseUnet.in_channels],
    [2048, 'text_time', 256, 2816, 4],
  );
  const refinerUnet = await componentJson('sdxl-refiner', 'unet');
  assert.deepEqual([refinerUnet.cross_attention_dim, refinerUnet.addition_embed_type, refinerUnet.projection_class_embeddings_input_dim], [1280, 'text_time', 2560]);
});

test('inpaint, LCM, fp16 and wild-sd15 say what they are in their JSON files', async () => {
  assert.equal((await readJson(info('inpaint').paths.modelIndex))._class_name, 'StableDiffusionInpaintPipeline');
  const inpaintUnet = await componentJson('inpaint', 'unet');
  assert.deepEqual([inpaintUnet.in_channels, inpaintUnet.out_channels], [9, 4]);

  assert.equal((await readJson(info('lcm').paths.modelIndex))._class_name, 'LatentConsistencyModelPipeline');
  const lcmScheduler = await readJson(info('lcm').paths.schedulerConfig);
  assert.deepEqual([lcmScheduler._class_name, lcmScheduler.original_inference_steps, lcmScheduler.timestep_scaling], ['LCMScheduler', 50, 10]);
  assert.equal((await componentJson('lcm', 'unet')).time_cond_proj_dim, 256);

  assert.equal((await componentJson('fp16', 'text_encoder')).torch_dtype, 'float16');
  assert.equal((await readJson(info('fp16').paths.modelIndex))._class_name, 'StableDiffusionPipeline');

  assert.equal((await readJson(info('wild-sd15').paths.modelIndex))._class_name, 'OnnxStableDiffusionPipeline');
  assert.equal((await readJson(info('wild-sd15').paths.schedulerConfig))._class_name, 'PNDMScheduler');
  for (const variant of ['inpaint', 'lcm', 'fp16', 'wild-sd15'] as const) assert.equal(info(variant).scalingFactor, 0.18215);
});

test('the fp16 variant stores every float initializer as float16, inline or external', async () => {
  const model = info('fp16');
  for (const path of [model.paths.textEncoder ?? '', model.paths.unet, model.paths.vaeDecoder, model.paths.vaeEncoder]) {
    const proto = onnx.ModelProto.decode(await readFile(path));
    const types = new Set((proto.graph?.initializer ?? []).map((tensor) => tensor.dataType));
    assert.ok(!types.has(onnx.TensorProto.DataType.FLOAT), `${path} has float32 initializers`);
    if (path === model.paths.unet) {
      assert.ok(types.has(onnx.TensorProto.DataType.FLOAT16));
      assert.ok((proto.graph?.initializer ?? []).some((tensor) => tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL));
    }
  }
});

const hiddenStates = (count: number, width: number, dims: readonly (string | number)[] = ['batch_size', 'sequence_length']): DescribedValue[] =>
  Array.from({ length: count + 1 }, (_, k): DescribedValue => [`hidden_states.${k}`, 'float32', [...dims, width]]);
const clipVae = (type: string): Record<'vaeDecoder' | 'vaeEncoder', [DescribedValue[], DescribedValue[]]> => ({
  vaeDecoder: [[['latent_sample', type, ['batch_size', 4, 'latent_height', 'latent_width']]], [['sample', type, ['batch_size', 3, 'height', 'width']]]],
  vaeEncoder: [[['sample', type, ['batch_size', 3, 'sample_height', 'sample_width']]], [['latent_parameters', type, ['batch_size', 8, 'h', 'w']]]],
});
const clipTextEncoder = (type: string): [DescribedValue[], DescribedValue[]] => [
  [['input_ids', 'int64', ['batch_size', 'sequence_length']]],
  [['last_hidden_state', type, ['batch_size', 'sequence_length', 768]], ['pooler_output', type, ['batch_size', 768]]],
];
const unetOutput = (type = 'float32'): DescribedValue[] => [['out_sample', type, ['batch_size', 4, 'height', 'width']]];
const sdxlUnet = (width: number, timeIds: number): [DescribedValue[], DescribedValue[]] => [
  [
    ['sample', 'float32', ['batch_size', 4, 'height', 'width']],
    ['timestep', 'float32', ['steps']],
    ['encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', width]],
    ['text_embeds', 'float32', ['batch_size', 1280]],
    ['time_ids', 'float32', ['batch_size', timeIds]],
  ],
  unetOutput(),
];
const textEncoder2: [DescribedValue[], DescribedValue[]] = [
  [['input_ids', 'int64', ['batch_size', 'sequence_length']]],
  [['text_embeds', 'float32', ['batch_size', 1280]], ['last_hidden_state', 'float32', ['batch_size', 'sequence_length', 1280]], ...hiddenStates(32, 1280)],
];

type Component = 'textEncoder' | 'textEncoder2' | 'unet' | 'vaeDecoder' | 'vaeEncoder';
const EXPECTED_IO: Record<DemoVariant, Partial<Record<Component, [DescribedValue[], DescribedValue[]]>>> = {
  sdxl: {
    textEncoder: [
      [['input_ids', 'int64', ['batch_size', 'sequence_length']]],
      [['last_hidden_state', 'float32', ['batch_size', 'sequence_length', 768]], ['pooler_output', 'float32', ['batch_size', 768]], ...hiddenStates(12, 768)],
    ],
    textEncoder2,
    unet: sdxlUnet(2048, 6),
    ...clipVae('float32'),
  },
  'sdxl-refiner': { textEncoder2, unet: sdxlUnet(1280, 5), ...clipVae('float32') },
  inpaint: {
    textEncoder: clipTextEncoder('float32'),
    unet: [
      [['sample', 'float32', ['batch_size', 9, 'height', 'width']], ['timestep', 'float32', []], ['encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', 768]]],
      unetOutput(),
    ],
    ...clipVae('float32'),
  },
  lcm: {
    textEncoder: clipTextEncoder('float32'),
    unet: [
      [
        ['sample', 'float32', ['batch_size', 4, 'height', 'width']],
        ['timestep', 'float32', []],
        ['encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', 768]],
        ['timestep_cond', 'float32', ['batch_size', 256]],
      ],
      unetOutput(),
    ],
    ...clipVae('float32'),
  },
  fp16: {
    textEncoder: clipTextEncoder('float16'),
    unet: [
      [['sample', 'float16', ['batch_size', 4, 'height', 'width']], ['timestep', 'float16', []], ['encoder_hidden_states', 'float16', ['batch_size', 'sequence_length', 768]]],
      unetOutput('float16'),
    ],
    ...clipVae('float16'),
  },
  'wild-sd15': {
    textEncoder: [[['input_ids', 'int32', ['batch', 'sequence']]], [['last_hidden_state', 'float32', ['batch', 'sequence', 768]]]],
    unet: [
      [['sample', 'float32', ['batch', 'channels', 'height', 'width']], ['timestep', 'int64', ['batch']], ['encoder_hidden_states', 'float32', ['batch', 'sequence', 768]]],
      [['out_sample', 'float32', ['batch', 4, 'height', 'width']]],
    ],
    vaeDecoder: [[['latent_sample', 'float32', ['batch', 'channels', 'height', 'width']]], [['sample', 'float32', ['batch', 3, 'image_height', 'image_width']]]],
    vaeEncoder: [[['sample', 'float32', ['batch', 'channels', 'height', 'width']]], [['latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width']]]],
  },
};

test('every component loads in onnxruntime with the input/output names, types and shapes of its layout', async () => {
  for (const variant of DEMO_VARIANTS) {
    const model = info(variant);
    const expected = EXPECTED_IO[variant];
    const components: Component[] = ['textEncoder', 'textEncoder2', 'unet', 'vaeDecoder', 'vaeEncoder'];
    for (const component of components) {
      const path = model.paths[component];
      const io = expected[component];
      assert.equal(path !== null, io !== undefined, `${variant} ${component} presence`);
      if (path === null || io === undefined) continue;
      const { inputs, outputs } = await describeModel(path);
      assert.deepEqual(inputs, io[0], `${variant} ${component} inputs`);
      assert.deepEqual(outputs, io[1], `${variant} ${component} outputs`);
    }
  }
});

test('unknown variants and bad sizes are refused', async () => {
  await assert.rejects(buildDemoVariant(join(root, 'nope'), 'sd3' as DemoVariant), /unknown demo variant sd3/);
  await assert.rejects(buildDemoVariant(join(root, 'bad'), 'lcm', { sampleSize: 0 }), /invalid sampleSize/);
});
