import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';
import type { TrainingEvent } from '../engine/trainer-engine.js';
import { TrainingFailedError } from '../engine/trainer-engine.js';
import { createTrainingJob, parseTrainingParams, type TrainingParamsInput } from '../engine/training-job.js';
import { checkerboardDataset } from '../testing/checkerboard.js';
import { buildKohyaInvocation, type KohyaLayout, type KohyaSettings } from './kohya-command.js';
import { validateKohyaCheckpoint } from './kohya-dreambooth.js';
import { KohyaEngine } from './kohya-engine.js';
import { FAKE_TRAIN_NETWORK } from './testing/fake-train-network.js';

const INPUT: TrainingParamsInput = {
  method: 'dreambooth',
  outputName: 'sks-dog',
  triggerWord: 'sks',
  baseModel: { id: 'sd15', dir: '/models/sd15-onnx' },
  maxTrainSteps: 1600,
  learningRate: 1e-6,
  batchSize: 2,
  resolution: { width: 512, height: 512 },
  seed: 42,
  saveEvery: 400,
  sampleEvery: 200,
  samplePrompts: ['a photo of sks dog'],
  priorPreservation: { classPrompt: 'a photo of dog', weight: 1 },
  minSnrGamma: 5,
};
const PARAMS = parseTrainingParams(INPUT);
const SETTINGS: KohyaSettings = { scriptPath: '/opt/sd-scripts/train_network.py', command: 'accelerate', commandArgs: ['launch'], pretrainedModel: (base) => `/weights/${base.id}.safetensors` };
const LAYOUT: KohyaLayout = { trainDataDir: '/work/job/train', regDataDir: '/work/job/reg', outputDir: '/work/job/output', configPath: '/work/job/train.toml', samplePromptsPath: '/work/job/sample-prompts.txt' };
const checkpoint = (fill: number) => serializeSafetensors({ 'model.diffusion_model.middle_block.1.proj_out.weight': float32Tensor(new Float32Array(8).fill(fill), [4, 2]) }, { ss_output_name: 'sks-dog' });

test('DreamBooth runs train_db.py (SD 1.x) or sdxl_train.py (SDXL) beside train_network.py', () => {
  assert.deepEqual(buildKohyaInvocation(PARAMS, SETTINGS, LAYOUT).args, ['launch', '/opt/sd-scripts/train_db.py', '--config_file', '/work/job/train.toml']);
  assert.equal(buildKohyaInvocation(PARAMS, { ...SETTINGS, architecture: () => 'sdxl' }, LAYOUT).args[1], '/opt/sd-scripts/sdxl_train.py');
});

test('the config is train_db.py\'s: instance and class folders, prior_loss_weight, UNet only, no network arguments', () => {
  const { config, configToml } = buildKohyaInvocation(PARAMS, SETTINGS, LAYOUT);
  const expected: Record<string, unknown> = {
    pretrained_model_name_or_path: '/weights/sd15.safetensors',
    train_data_dir: '/work/job/train',
    reg_data_dir: '/work/job/reg',
    prior_loss_weight: 1,
    output_dir: '/work/job/output',
    output_name: 'sks-dog',
    save_model_as: 'safetensors',
    stop_text_encoder_training: -1,
    max_train_steps: 1600,
    learning_rate: 1e-6,
    train_batch_size: 2,
    resolution: '512,512',
    seed: 42,
    save_every_n_steps: 400,
    save_state: true,
    min_snr_gamma: 5,
    sample_every_n_steps: 200,
    sample_prompts: '/work/job/sample-prompts.txt',
  };
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key], value, key);
  for (const key of ['network_module', 'network_dim', 'network_alpha', 'network_train_unet_only', 'token_string', 'train_text_encoder']) assert.equal(config[key], undefined, key);
  for (const line of ['stop_text_encoder_training = -1', 'reg_data_dir = "/work/job/reg"', 'prior_loss_weight = 1']) assert.ok(configToml.split('\n').includes(line), `${line} in\n${configToml}`);
  const sdxl = buildKohyaInvocation(PARAMS, { ...SETTINGS, architecture: () => 'sdxl' }, LAYOUT).config;
  assert.equal(sdxl.stop_text_encoder_training, undefined, 'sdxl_train.py leaves the text encoders frozen without --train_text_encoder');
  assert.equal(sdxl.train_text_encoder, undefined);
  const resumed = buildKohyaInvocation(PARAMS, SETTINGS, { ...LAYOUT, resume: { networkWeights: '/work/job/resume/network.safetensors', initialStep: 400 } }).config;
  assert.deepEqual([resumed.pretrained_model_name_or_path, resumed.initial_step, resumed.network_weights], ['/work/job/resume/network.safetensors', 400, undefined]);
  assert.equal(buildKohyaInvocation(PARAMS, SETTINGS, { ...LAYOUT, resume: { stateDir: '/s' } }).config.resume, '/s');
  const noPrior = buildKohyaInvocation(parseTrainingParams({ ...INPUT, priorPreservation: undefined }), SETTINGS, LAYOUT).config;
  assert.deepEqual([noPrior.reg_data_dir, noPrior.prior_loss_weight], [undefined, undefined]);
});

test('DreamBooth LoRA is train_network.py with the job\'s class pictures as reg_data_dir', () => {
  const lora = parseTrainingParams({ ...INPUT, method: 'lora', network: { rank: 8, alpha: 4 } });
  const { args, config } = buildKohyaInvocation(lora, { ...SETTINGS, regDataDir: '/operator/reg' }, LAYOUT);
  assert.equal(args[1], '/opt/sd-scripts/train_network.py');
  assert.deepEqual([config.reg_data_dir, config.prior_loss_weight, config.network_module, config.network_dim], ['/work/job/reg', 1, 'networks.lora', 8]);
  assert.equal(buildKohyaInvocation(lora, { ...SETTINGS, regDataDir: '/operator/reg' }, { ...LAYOUT, regDataDir: undefined }).config.reg_data_dir, '/operator/reg', 'without class pictures of its own: the operator\'s folder');
});

test('finetune runs fine_tune.py (SD 1.x) or sdxl_train.py (SDXL) with captions in in_json, no class pictures, no caption files', () => {
  const finetune = parseTrainingParams({ ...INPUT, method: 'finetune', priorPreservation: undefined, outputName: 'tuned' });
  const layout = { ...LAYOUT, regDataDir: undefined, inJson: '/work/job/meta_cap.json' };
  const { args, config } = buildKohyaInvocation(finetune, SETTINGS, layout);
  assert.equal(args[1], '/opt/sd-scripts/fine_tune.py');
  assert.equal(buildKohyaInvocation(finetune, { ...SETTINGS, architecture: () => 'sdxl' }, layout).args[1], '/opt/sd-scripts/sdxl_train.py');
  assert.deepEqual([config.in_json, config.train_data_dir, config.save_model_as, config.max_train_steps, config.save_every_n_steps, config.save_state], ['/work/job/meta_cap.json', '/work/job/train', 'safetensors', 1600, 400, true]);
  for (const key of ['reg_data_dir', 'prior_loss_weight', 'caption_extension', 'stop_text_encoder_training', 'train_text_encoder', 'network_module']) assert.equal(config[key], undefined, key);
  assert.throws(() => parseTrainingParams({ ...INPUT, method: 'finetune' }), /priorPreservation/);
});

test('a kohya DreamBooth result must be a checkpoint with UNet weights in Stable Diffusion names', () => {
  validateKohyaCheckpoint(checkpoint(0.5));
  assert.throws(() => validateKohyaCheckpoint(serializeSafetensors({ lora_unet_x: float32Tensor(new Float32Array(2), [2]) })), TrainingFailedError);
  assert.throws(() => validateKohyaCheckpoint(new TextEncoder().encode('junk')), TrainingFailedError);
});

describe('KohyaEngine DreamBooth with a stand-in train_db.py', () => {
  let dir: string;
  const input = (overrides: Partial<TrainingParamsInput> = {}): TrainingParamsInput => ({
    ...INPUT,
    baseModel: { id: 'sd15', dir: '/models/sd15' },
    maxTrainSteps: 12,
    batchSize: 1,
    resolution: { width: 64, height: 64 },
    saveEvery: 5,
    sampleEvery: 0,
    ...overrides,
  });
  const dataset = checkerboardDataset(3).map((example) => ({ ...example, caption: 'a photo of sks dog' }));
  const classPictures = checkerboardDataset(2).map((example, i) => ({ ...example, name: `class/${i}.png`, caption: 'a photo of dog' }));
  const engine = (fixture: string, record: string): KohyaEngine =>
    new KohyaEngine({ scriptPath: join(dir, 'train_network.py'), command: process.execPath, workRoot: dir, killGraceMs: 300, env: { FAKE_MODE: 'ok', FAKE_LORA: join(dir, fixture), FAKE_RECORD: join(dir, record) } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-kohya-db-'));
    await writeFile(join(dir, 'fake.mjs'), FAKE_TRAIN_NETWORK);
    // sd-scripts' file name, run by Node: a CommonJS shim that loads the ESM stand-in.
    await writeFile(join(dir, 'train_db.py'), "import(require('node:path').join(__dirname, 'fake.mjs'));\n");
    await writeFile(join(dir, 'checkpoint.safetensors'), checkpoint(0.25));
    await writeFile(join(dir, 'lora.safetensors'), serializeSafetensors({ 'lora_unet_x.lora_down.weight': float32Tensor(new Float32Array(4), [2, 2]) }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the class pictures as reg_data_dir, turns step files into checkpoints, and resumes from the step checkpoint', async () => {
    const prepared = await engine('checkpoint.safetensors', 'record.json').prepare(createTrainingJob('kohya-db', input(), dataset, classPictures));
    const events: TrainingEvent[] = [];
    try {
      const result = await prepared.run({ onProgress: (event) => void events.push(event) });
      assert.deepEqual(result.safetensors, checkpoint(0.25));
    } finally {
      await prepared.dispose();
    }
    const record = JSON.parse(await readFile(join(dir, 'record.json'), 'utf8')) as { argv: string[]; config: Record<string, unknown>; train: string[]; reg: string[] };
    assert.match(record.argv[0], /train_db\.py$/);
    assert.deepEqual([record.config.stop_text_encoder_training, record.config.prior_loss_weight], [-1, 1]);
    assert.ok(record.train.some((file) => file.startsWith('1_sks')), `instance folder named after the identifier: ${record.train.join(', ')}`);
    assert.deepEqual(record.reg.filter((file) => file.endsWith('.png')).length, 2, `class pictures in reg_data_dir: ${record.reg.join(', ')}`);
    assert.ok(record.reg.some((file) => file.startsWith('1_a_photo_of_dog/') && file.endsWith('.txt')));
    const checkpoints = events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : []));
    assert.deepEqual(checkpoints.map((entry) => entry.step), [5, 10]);

    const resumed = await engine('checkpoint.safetensors', 'record-resumed.json').prepare(createTrainingJob('kohya-db', input({ saveEvery: 0 }), dataset, classPictures));
    try {
      await resumed.run({ resumeFrom: { step: 5, loraState: checkpoint(0.25), optimizerState: new Uint8Array() } });
    } finally {
      await resumed.dispose();
    }
    const again = JSON.parse(await readFile(join(dir, 'record-resumed.json'), 'utf8')) as { config: Record<string, unknown> };
    assert.equal(again.config.initial_step, 5);
    assert.match(String(again.config.pretrained_model_name_or_path), /network\.safetensors$/);
  });

  it('finetune writes fine_tune.py\'s in_json with every image\'s caption', async () => {
    await writeFile(join(dir, 'fine_tune.py'), "import(require('node:path').join(__dirname, 'fake.mjs'));\n");
    const captioned = checkerboardDataset(3).map((example, i) => ({ ...example, caption: `caption ${i}` }));
    const prepared = await engine('checkpoint.safetensors', 'record-ft.json').prepare(createTrainingJob('kohya-ft', input({ method: 'finetune', priorPreservation: undefined, saveEvery: 0 }), captioned));
    try {
      assert.deepEqual((await prepared.run()).safetensors, checkpoint(0.25));
    } finally {
      await prepared.dispose();
    }
    const record = JSON.parse(await readFile(join(dir, 'record-ft.json'), 'utf8')) as { argv: string[]; config: Record<string, unknown>; train: string[]; reg: string[] | null };
    assert.match(record.argv[0], /fine_tune\.py$/);
    assert.equal(record.reg, null);
    assert.match(String(record.config.in_json), /meta_cap\.json$/);
    assert.equal(record.train.filter((file) => file.endsWith('.png')).length, 3);
  });

  it('refuses an output that is not a checkpoint (e.g. a LoRA)', async () => {
    const prepared = await engine('lora.safetensors', 'record-wrong.json').prepare(createTrainingJob('kohya-db-wrong', input({ saveEvery: 0 }), dataset, classPictures));
    try {
      await assert.rejects(prepared.run(), TrainingFailedError);
    } finally {
      await prepared.dispose();
    }
  });
});
