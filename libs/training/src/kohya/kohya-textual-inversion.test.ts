import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';
import type { TrainingEvent } from '../engine/trainer-engine.js';
import { createTrainingJob, parseTrainingParams, type TrainingParamsInput } from '../engine/training-job.js';
import { EmbeddingFileError, serializeEmbedding } from '../textual-inversion/embedding-file.js';
import { checkerboardDataset } from '../testing/checkerboard.js';
import { buildKohyaInvocation, type KohyaLayout, type KohyaSettings } from './kohya-command.js';
import { KohyaEngine } from './kohya-engine.js';
import { validateKohyaEmbedding } from './kohya-textual-inversion.js';
import { FAKE_TRAIN_NETWORK } from './testing/fake-train-network.js';

const INPUT: TrainingParamsInput = {
  method: 'textual_inversion',
  outputName: 'zxqti',
  triggerWord: 'zxqti',
  textualInversion: { placeholderToken: 'zxqti', initializerToken: 'pattern', numVectors: 4 },
  baseModel: { id: 'sd15', dir: '/models/sd15-onnx' },
  maxTrainSteps: 3000,
  learningRate: 5e-3,
  batchSize: 4,
  resolution: { width: 512, height: 512 },
  seed: 42,
  saveEvery: 500,
  sampleEvery: 250,
  samplePrompts: ['a photo of zxqti'],
  minSnrGamma: 5,
};
const PARAMS = parseTrainingParams(INPUT);
const SETTINGS: KohyaSettings = { scriptPath: '/opt/sd-scripts/train_network.py', command: 'accelerate', commandArgs: ['launch'], pretrainedModel: (base) => `/weights/${base.id}.safetensors` };
const LAYOUT: KohyaLayout = { trainDataDir: '/work/job/train', outputDir: '/work/job/output', configPath: '/work/job/train.toml', samplePromptsPath: '/work/job/sample-prompts.txt' };

test('textual inversion runs train_textual_inversion.py (SD 1.x) or sdxl_train_textual_inversion.py (SDXL) beside train_network.py', () => {
  assert.deepEqual(buildKohyaInvocation(PARAMS, SETTINGS, LAYOUT).args, ['launch', '/opt/sd-scripts/train_textual_inversion.py', '--config_file', '/work/job/train.toml']);
  const sdxl = buildKohyaInvocation(PARAMS, { ...SETTINGS, architecture: () => 'sdxl' }, LAYOUT);
  assert.equal(sdxl.args[1], '/opt/sd-scripts/sdxl_train_textual_inversion.py');
  const lora = parseTrainingParams({ ...INPUT, method: 'lora', textualInversion: undefined, triggerWord: 'zxq' });
  assert.equal(buildKohyaInvocation(lora, { ...SETTINGS, architecture: () => 'sdxl' }, LAYOUT).args[1], '/opt/sd-scripts/train_network.py', 'LoRA jobs unchanged');
});

test('the config holds the token settings under their sd-scripts names and no network arguments', () => {
  const { config, configToml } = buildKohyaInvocation(PARAMS, SETTINGS, LAYOUT);
  const expected: Record<string, unknown> = {
    pretrained_model_name_or_path: '/weights/sd15.safetensors',
    train_data_dir: '/work/job/train',
    output_dir: '/work/job/output',
    output_name: 'zxqti',
    save_model_as: 'safetensors',
    token_string: 'zxqti',
    init_word: 'pattern',
    num_vectors_per_token: 4,
    max_train_steps: 3000,
    learning_rate: 5e-3,
    train_batch_size: 4,
    resolution: '512,512',
    seed: 42,
    save_every_n_steps: 500,
    save_state: true,
    min_snr_gamma: 5,
    sample_every_n_steps: 250,
    sample_prompts: '/work/job/sample-prompts.txt',
  };
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(config[key], value, key);
  for (const key of ['network_module', 'network_dim', 'network_alpha', 'network_train_unet_only', 'reg_data_dir', 'metadata_tags']) assert.equal(config[key], undefined, key);
  for (const line of ['token_string = "zxqti"', 'init_word = "pattern"', 'num_vectors_per_token = 4']) assert.ok(configToml.split('\n').includes(line), `${line} in\n${configToml}`);
  const resumed = buildKohyaInvocation(PARAMS, SETTINGS, { ...LAYOUT, resume: { networkWeights: '/work/job/resume/network.safetensors', initialStep: 500 } }).config;
  assert.deepEqual([resumed.weights, resumed.initial_step, resumed.network_weights], ['/work/job/resume/network.safetensors', 500, undefined]);
  assert.equal(buildKohyaInvocation(PARAMS, SETTINGS, { ...LAYOUT, resume: { stateDir: '/s' } }).config.resume, '/s');
});

test('kohya embeddings are checked for their architecture’s tensors and vector count', () => {
  const sd1 = serializeSafetensors({ emb_params: float32Tensor(new Float32Array(4 * 768), [4, 768]) });
  validateKohyaEmbedding(sd1, { numVectors: 4, architecture: 'sd1' });
  assert.throws(() => validateKohyaEmbedding(sd1, { numVectors: 2, architecture: 'sd1' }), EmbeddingFileError);
  assert.throws(() => validateKohyaEmbedding(sd1, { numVectors: 4, architecture: 'sdxl' }), /no clip_l/);
  const sdxl = serializeSafetensors({ clip_l: float32Tensor(new Float32Array(2 * 768), [2, 768]), clip_g: float32Tensor(new Float32Array(2 * 1280), [2, 1280]) });
  validateKohyaEmbedding(sdxl, { numVectors: 2, architecture: 'sdxl' });
  const swapped = serializeSafetensors({ clip_l: float32Tensor(new Float32Array(2 * 1280), [2, 1280]), clip_g: float32Tensor(new Float32Array(2 * 768), [2, 768]) });
  assert.throws(() => validateKohyaEmbedding(swapped, { numVectors: 2, architecture: 'sdxl' }), /clip_l is \[2, 1280\]/);
  assert.throws(() => validateKohyaEmbedding(new TextEncoder().encode('junk'), { numVectors: 2, architecture: 'sd1' }), EmbeddingFileError);
});

describe('KohyaEngine textual inversion with a stand-in train_textual_inversion.py', () => {
  let dir: string;
  let embedding: Uint8Array;
  const input = (overrides: Partial<TrainingParamsInput> = {}): TrainingParamsInput => ({
    ...INPUT,
    baseModel: { id: 'sd15', dir: '/models/sd15' },
    textualInversion: { placeholderToken: 'zxqti', initializerToken: 'pattern', numVectors: 2 },
    maxTrainSteps: 12,
    batchSize: 1,
    resolution: { width: 64, height: 64 },
    saveEvery: 5,
    sampleEvery: 0,
    ...overrides,
  });
  const dataset = checkerboardDataset(3).map((example) => ({ ...example, caption: 'a photo of zxqti' }));
  const engine = (fixture: string, record: string): KohyaEngine =>
    new KohyaEngine({ scriptPath: join(dir, 'train_network.py'), command: process.execPath, workRoot: dir, killGraceMs: 300, env: { FAKE_MODE: 'ok', FAKE_LORA: join(dir, fixture), FAKE_RECORD: join(dir, record) } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-kohya-ti-'));
    await writeFile(join(dir, 'fake.mjs'), FAKE_TRAIN_NETWORK);
    // sd-scripts' file name, run by Node: a CommonJS shim that loads the ESM stand-in.
    await writeFile(join(dir, 'train_textual_inversion.py'), "import(require('node:path').join(__dirname, 'fake.mjs'));\n");
    embedding = serializeEmbedding({ rows: new Float32Array(2 * 768).fill(0.125), count: 2, width: 768 }, { ss_output_name: 'zxqti' });
    await writeFile(join(dir, 'embedding.safetensors'), embedding);
    await writeFile(join(dir, 'wrong.safetensors'), serializeEmbedding({ rows: new Float32Array(3 * 768), count: 3, width: 768 }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the textual-inversion script, turns its step files into checkpoints, and resumes with --weights', async () => {
    const prepared = await engine('embedding.safetensors', 'record.json').prepare(createTrainingJob('kohya-ti', input(), dataset));
    const events: TrainingEvent[] = [];
    try {
      const result = await prepared.run({ onProgress: (event) => void events.push(event) });
      assert.deepEqual(result.safetensors, embedding);
      assert.equal(result.metadata.ss_output_name, 'zxqti');
    } finally {
      await prepared.dispose();
    }
    const record = JSON.parse(await readFile(join(dir, 'record.json'), 'utf8')) as { argv: string[]; config: Record<string, unknown>; train: string[] };
    assert.match(record.argv[0], /train_textual_inversion\.py$/);
    assert.deepEqual([record.config.token_string, record.config.init_word, record.config.num_vectors_per_token], ['zxqti', 'pattern', 2]);
    assert.ok(record.train.some((file) => file.startsWith('1_zxqti')), `dataset folder named after the token: ${record.train.join(', ')}`);
    const checkpoints = events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : []));
    assert.deepEqual(checkpoints.map((checkpoint) => checkpoint.step), [5, 10]);
    assert.deepEqual(checkpoints[0].loraState, embedding);

    const resumed = await engine('embedding.safetensors', 'record-resumed.json').prepare(createTrainingJob('kohya-ti', input({ saveEvery: 0 }), dataset));
    try {
      await resumed.run({ resumeFrom: { step: 5, loraState: embedding, optimizerState: new Uint8Array() } });
    } finally {
      await resumed.dispose();
    }
    const again = JSON.parse(await readFile(join(dir, 'record-resumed.json'), 'utf8')) as { config: Record<string, unknown> };
    assert.equal(again.config.initial_step, 5);
    assert.match(String(again.config.weights), /network\.safetensors$/);
  });

  it('refuses an output that is not an embedding of the asked vector count', async () => {
    const prepared = await engine('wrong.safetensors', 'record-wrong.json').prepare(createTrainingJob('kohya-ti-wrong', input({ saveEvery: 0 }), dataset));
    try {
      await assert.rejects(prepared.run(), EmbeddingFileError);
    } finally {
      await prepared.dispose();
    }
  });
});
