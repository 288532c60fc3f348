import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ZipArchive } from '@atelier/model-formats';
import { TrainingCanceledError, TrainingFailedError, type TrainingEvent } from '../engine/trainer-engine.js';
import { createTrainingJob, type TrainingParamsInput } from '../engine/training-job.js';
import { serializeLora } from '../lora/lora-weights.js';
import { LoraFileError } from '../lora/validate-lora-file.js';
import { checkerboardDataset } from '../testing/checkerboard.js';
import type { KohyaSettings } from './kohya-command.js';
import { KohyaEngine } from './kohya-engine.js';
import { FAKE_TRAIN_NETWORK } from './testing/fake-train-network.js';

interface Recorded {
  readonly argv: string[];
  readonly config: Record<string, unknown>;
  readonly train: string[];
  readonly resume: string[] | null;
}

describe('KohyaEngine with a stand-in train_network.py', () => {
  let dir: string;
  let settings: KohyaSettings;
  let lora: Uint8Array;
  const params = (overrides: Partial<TrainingParamsInput> = {}): TrainingParamsInput => ({
    outputName: 'zxq',
    triggerWord: 'zxq',
    baseModel: { id: 'sd15', dir: '/models/sd15' },
    network: { rank: 2, alpha: 1 },
    maxTrainSteps: 12,
    learningRate: 1e-4,
    batchSize: 1,
    resolution: { width: 64, height: 64 },
    seed: 7,
    saveEvery: 5,
    sampleEvery: 6,
    samplePrompts: ['a photo of zxq'],
    ...overrides,
  });
  const job = (overrides: Partial<TrainingParamsInput> = {}) => createTrainingJob('kohya-job', params(overrides), checkerboardDataset(3));
  const engine = (mode: string, extra: Partial<KohyaSettings> = {}): KohyaEngine =>
    new KohyaEngine({ ...settings, env: { FAKE_MODE: mode, FAKE_LORA: join(dir, 'fixture.safetensors'), FAKE_RECORD: join(dir, `record-${mode}.json`) }, ...extra });
  const recorded = async (mode: string): Promise<Recorded> => JSON.parse(await readFile(join(dir, `record-${mode}.json`), 'utf8')) as Recorded;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-kohya-test-'));
    await writeFile(join(dir, 'train_network.mjs'), FAKE_TRAIN_NETWORK);
    lora = serializeLora(
      { prefix: 'lora_unet_mid_block_attentions_0_proj_out', rank: 2, alpha: 1, inFeatures: 4, outFeatures: 3, down: new Float32Array(8).fill(0.5), up: new Float32Array(6).fill(0.25) },
      { ss_network_dim: '2', ss_network_alpha: '1', ss_output_name: 'zxq' },
    );
    await writeFile(join(dir, 'fixture.safetensors'), lora);
    settings = { scriptPath: join(dir, 'train_network.mjs'), command: process.execPath, workRoot: dir, killGraceMs: 300 };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the script on the generated config and dataset, turning its output into events and its files into checkpoints', async () => {
    const prepared = await engine('ok').prepare(job());
    const events: TrainingEvent[] = [];
    try {
      const result = await prepared.run({ onProgress: (event) => void events.push(event) });
      assert.deepEqual(result.safetensors, lora);
      assert.equal(result.metadata.ss_network_dim, '2');
      assert.equal(result.steps, 12);
      assert.equal(result.finalLoss, Number((1 / 12).toFixed(4)));
    } finally {
      await prepared.dispose();
    }
    const record = await recorded('ok');
    assert.deepEqual(record.argv.slice(1), ['--config_file', record.argv[2]]);
    assert.match(record.argv[0], /train_network\.mjs$/);
    assert.deepEqual(record.train, ['1_zxq', '1_zxq/0001.png', '1_zxq/0001.txt', '1_zxq/0002.png', '1_zxq/0002.txt', '1_zxq/0003.png', '1_zxq/0003.txt']);
    assert.equal(record.config.network_module, 'networks.lora');
    assert.equal(record.config.network_dim, 2);
    assert.equal(record.config.save_every_n_steps, 5);

    assert.deepEqual(events[0], { type: 'started', step: 0, totalSteps: 12, resumed: false });
    const steps = events.flatMap((event) => (event.type === 'step' ? [event] : []));
    assert.ok(steps.length >= 3, `${steps.length} step events`);
    assert.ok(steps.every((event, i) => i === 0 || event.step > steps[i - 1].step), 'steps increase');
    assert.equal(steps.at(-1)?.step, 12);
    assert.ok(steps.every((event) => event.loss === Number((1 / event.step).toFixed(4)) && event.averageLoss === event.loss));
    assert.deepEqual(events.flatMap((event) => (event.type === 'epoch' ? [[event.epoch, event.totalEpochs]] : [])), [[1, 3], [2, 3], [3, 3]]);
    const checkpoints = events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : []));
    assert.deepEqual(checkpoints.map((checkpoint) => checkpoint.step), [5, 10]);
    for (const checkpoint of checkpoints) {
      assert.deepEqual(checkpoint.loraState, lora);
      assert.deepEqual([...ZipArchive.open(checkpoint.optimizerState).entries.keys()], ['optimizer.bin', 'train_state.json']);
    }
    // The checkpoint of step 5 arrives before the step after it.
    const order = events.map((event) => (event.type === 'checkpoint' ? `c${event.checkpoint.step}` : event.type === 'step' ? `s${event.step}` : event.type));
    assert.ok(order.indexOf('c5') < order.findIndex((label) => /^s([6-9]|1\d)$/.test(label)), order.join(' '));
    const samples = events.flatMap((event) => (event.type === 'sample' ? [[event.step, event.prompt, event.path?.endsWith('.png')]] : []));
    assert.deepEqual(samples, [[6, 'a photo of zxq', true], [12, 'a photo of zxq', true]]);
  });

  it('resumes from a checkpoint: its state folder is unpacked for --resume and steps continue from it', async () => {
    const first = await engine('ok').prepare(job());
    let checkpoint;
    try {
      const events: TrainingEvent[] = [];
      await first.run({ onProgress: (event) => void events.push(event) });
      checkpoint = events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : []))[0];
    } finally {
      await first.dispose();
    }
    assert.equal(checkpoint?.step, 5);
    const second = await engine('resume').prepare(job());
    try {
      const events: TrainingEvent[] = [];
      await second.run({ resumeFrom: checkpoint, onProgress: (event) => void events.push(event) });
      const record = await recorded('resume');
      assert.match(String(record.config.resume), /resume[/\\]state$/);
      assert.deepEqual(record.resume, ['optimizer.bin', 'train_state.json']);
      assert.deepEqual(events[0], { type: 'started', step: 5, totalSteps: 12, resumed: true });
      const steps = events.flatMap((event) => (event.type === 'step' ? [event.step] : []));
      assert.ok(steps[0] > 5 && steps.at(-1) === 12, `steps ${steps.join(',')}`);
      // Without an optimiser state the LoRA weights and the step are passed instead.
      await second.run({ resumeFrom: { ...checkpoint, optimizerState: new Uint8Array(0) } });
      const fromWeights = await recorded('resume');
      assert.equal(fromWeights.config.initial_step, 5);
      assert.match(String(fromWeights.config.network_weights), /network\.safetensors$/);
    } finally {
      await second.dispose();
    }
  });

  it('kills the process when the signal aborts (SIGKILL if it ignores SIGTERM)', async () => {
    const prepared = await engine('hang').prepare(job());
    const controller = new AbortController();
    const started = Date.now();
    try {
      await assert.rejects(
        prepared.run({
          signal: controller.signal,
          onProgress: (event) => {
            if (event.type === 'step') controller.abort('user canceled');
          },
        }),
        (error: unknown) => error instanceof TrainingCanceledError && error.step === 1 && /user canceled/.test(error.message),
      );
    } finally {
      await prepared.dispose();
    }
    assert.ok(Date.now() - started < 5000, 'canceled promptly');
  });

  it('reports a crashed script with the end of its output, and refuses missing or invalid results', async () => {
    const failing = await engine('fail').prepare(job());
    try {
      await assert.rejects(failing.run(), (error: unknown) => error instanceof TrainingFailedError && /exited with code 1 at step 1/.test(error.message) && /CUDA out of memory/.test(error.detail ?? ''));
    } finally {
      await failing.dispose();
    }
    const garbage = await engine('garbage').prepare(job({ saveEvery: 0 }));
    try {
      await assert.rejects(garbage.run(), (error: unknown) => error instanceof LoraFileError && /not a valid safetensors file/.test(error.message));
    } finally {
      await garbage.dispose();
    }
    const missing = await engine('nofile').prepare(job({ saveEvery: 0 }));
    try {
      await assert.rejects(missing.run(), (error: unknown) => error instanceof TrainingFailedError && /wrote no zxq\.safetensors/.test(error.message));
    } finally {
      await missing.dispose();
    }
    await assert.rejects(new KohyaEngine({ scriptPath: join(dir, 'missing.py') }).prepare(job()), /train_network\.py not found/);
  });
});
