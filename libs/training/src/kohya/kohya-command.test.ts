import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTrainingParams } from '../engine/training-job.js';
import { buildKohyaInvocation, kohyaSettingsFromEnv, samplePromptsFile, type KohyaLayout, type KohyaSettings } from './kohya-command.js';
import { toToml } from './toml.js';

const PARAMS = parseTrainingParams({
  outputName: 'zxq-v1',
  triggerWord: 'zxq',
  baseModel: { id: 'sd15', dir: '/models/sd15-onnx' },
  network: { rank: 16, alpha: 8 },
  maxTrainSteps: 1000,
  learningRate: 1e-4,
  batchSize: 2,
  resolution: { width: 512, height: 768 },
  seed: 42,
  saveEvery: 250,
  sampleEvery: 100,
  samplePrompts: ['a photo of zxq', 'zxq on a beach'],
  minSnrGamma: 5,
  captionExtension: '.caption',
  comment: 'first try',
});

const SETTINGS: KohyaSettings = {
  scriptPath: '/opt/sd-scripts/train_network.py',
  command: 'accelerate',
  commandArgs: ['launch', '--num_cpu_threads_per_process', '1'],
  pretrainedModel: (base) => `/weights/${base.id}.safetensors`,
};

const LAYOUT: KohyaLayout = {
  trainDataDir: '/work/job/train',
  outputDir: '/work/job/output',
  configPath: '/work/job/train.toml',
  samplePromptsPath: '/work/job/sample-prompts.txt',
};

test('the command line runs the script with the generated config file', () => {
  const invocation = buildKohyaInvocation(PARAMS, SETTINGS, LAYOUT);
  assert.equal(invocation.command, 'accelerate');
  assert.deepEqual(invocation.args, ['launch', '--num_cpu_threads_per_process', '1', '/opt/sd-scripts/train_network.py', '--config_file', '/work/job/train.toml']);
});

test('the config holds every job setting under its train_network.py name', () => {
  const { config, configToml } = buildKohyaInvocation(PARAMS, SETTINGS, LAYOUT);
  const expected: Record<string, unknown> = {
    pretrained_model_name_or_path: '/weights/sd15.safetensors',
    train_data_dir: '/work/job/train',
    output_dir: '/work/job/output',
    output_name: 'zxq-v1',
    save_model_as: 'safetensors',
    network_module: 'networks.lora',
    network_dim: 16,
    network_alpha: 8,
    network_train_unet_only: true,
    max_train_steps: 1000,
    learning_rate: 1e-4,
    train_batch_size: 2,
    resolution: '512,768',
    seed: 42,
    save_every_n_steps: 250,
    save_state: true,
    caption_extension: '.caption',
    min_snr_gamma: 5,
    training_comment: 'first try',
    sample_every_n_steps: 100,
    sample_prompts: '/work/job/sample-prompts.txt',
  };
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key], value, key);
  assert.equal(config.resume, undefined);
  for (const line of [
    'network_module = "networks.lora"',
    'network_dim = 16',
    'learning_rate = 0.0001',
    'resolution = "512,768"',
    'network_train_unet_only = true',
    'caption_extension = ".caption"',
    'output_dir = "/work/job/output"',
  ]) {
    assert.ok(configToml.split('\n').includes(line), `${line} in\n${configToml}`);
  }
});

test('resuming passes --resume for a saved state, or the weights and the initial step without one', () => {
  const state = buildKohyaInvocation(PARAMS, SETTINGS, { ...LAYOUT, resume: { stateDir: '/work/job/resume/state' } }).config;
  assert.equal(state.resume, '/work/job/resume/state');
  assert.equal(state.network_weights, undefined);
  const weights = buildKohyaInvocation(PARAMS, SETTINGS, { ...LAYOUT, resume: { networkWeights: '/work/job/resume/network.safetensors', initialStep: 250 } }).config;
  assert.equal(weights.network_weights, '/work/job/resume/network.safetensors');
  assert.equal(weights.initial_step, 250);
  assert.equal(weights.resume, undefined);
});

test('defaults, prior preservation and overrides', () => {
  const plain = parseTrainingParams({ ...PARAMS, saveEvery: 0, sampleEvery: 0, minSnrGamma: undefined, comment: undefined });
  const config = buildKohyaInvocation(plain, { scriptPath: '/s/train_network.py' }, { ...LAYOUT, samplePromptsPath: undefined }).config;
  assert.equal(config.pretrained_model_name_or_path, '/models/sd15-onnx');
  for (const key of ['save_every_n_steps', 'save_state', 'min_snr_gamma', 'sample_prompts', 'training_comment', 'reg_data_dir']) assert.equal(config[key], undefined, key);
  assert.equal(buildKohyaInvocation(plain, { scriptPath: '/s/train_network.py' }, LAYOUT).command, 'python3');

  const prior = parseTrainingParams({ ...PARAMS, priorPreservation: { classPrompt: 'a photo', weight: 0.5 } });
  assert.throws(() => buildKohyaInvocation(prior, SETTINGS, LAYOUT), /needs class images/);
  const withReg = buildKohyaInvocation(prior, { ...SETTINGS, regDataDir: '/data/class' }, LAYOUT).config;
  assert.deepEqual([withReg.reg_data_dir, withReg.prior_loss_weight], ['/data/class', 0.5]);

  const overridden = buildKohyaInvocation(PARAMS, { ...SETTINGS, extraConfig: { optimizer_type: 'Prodigy', xformers: true } }, LAYOUT).config;
  assert.deepEqual([overridden.optimizer_type, overridden.xformers], ['Prodigy', true]);
});

test('sample prompts use sd-scripts’ per-line options', () => {
  assert.equal(samplePromptsFile(PARAMS), 'a photo of zxq --w 512 --h 768 --d 42 --s 20\nzxq on a beach --w 512 --h 768 --d 42 --s 20');
});

test('TOML strings are escaped and numbers stay numbers', () => {
  const toml = toToml({ path: 'C:\\data\\"quoted"\tname\n', rate: 1e-7, count: 3, flag: false, list: ['a', 'b"c'] });
  assert.equal(toml, 'path = "C:\\\\data\\\\\\"quoted\\"\\tname\\n"\nrate = 1.0e-7\ncount = 3\nflag = false\nlist = ["a", "b\\"c"]\n');
  assert.throws(() => toToml({ 'bad key': 1 }), /invalid TOML key/);
  assert.throws(() => toToml({ rate: Number.NaN }), /cannot hold NaN/);
});

test('settings come from KOHYA_TRAIN_NETWORK and KOHYA_PYTHON', () => {
  assert.equal(kohyaSettingsFromEnv({}), undefined);
  assert.deepEqual(kohyaSettingsFromEnv({ KOHYA_TRAIN_NETWORK: '/opt/s/train_network.py', KOHYA_PYTHON: '/venv/bin/python' }), { scriptPath: '/opt/s/train_network.py', command: '/venv/bin/python' });
});
