import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTrainableDemoModel } from '@atelier/demo-model';
import { parseSafetensors } from '@atelier/model-formats';
import type { PreparedTraining, TrainingCheckpoint, TrainingEvent } from '../engine/trainer-engine.js';
import { InvalidTrainingJobError, createTrainingJob, type TrainingParamsInput } from '../engine/training-job.js';
import { checkerboardDataset } from '../testing/checkerboard.js';
import { parseEmbedding } from '../textual-inversion/embedding-file.js';
import { BuiltInTextualInversionEngine } from './builtin-textual-inversion-engine.js';
import { EmbeddingDenoiser } from './embedding-denoiser.js';
import { CheckpointMismatchError } from './optimizer-state.js';
import { openTextualInversionBase } from './textual-inversion-base.js';

const CLOCK = (): Date => new Date('2026-01-02T03:04:05Z');
const STEPS = 60;
const TOKEN = { placeholderToken: 'zxqti', initializerToken: 'pattern', numVectors: 2 };
const dataset = checkerboardDataset(4).map((example) => ({ ...example, caption: 'a photo of zxqti' }));

describe('BuiltInTextualInversionEngine', () => {
  let dir: string;
  let zeroDir: string;
  const engine = new BuiltInTextualInversionEngine({ now: CLOCK });
  const params = (overrides: Partial<TrainingParamsInput> = {}): TrainingParamsInput => ({
    method: 'textual_inversion',
    outputName: 'zxqti',
    triggerWord: 'zxqti',
    textualInversion: TOKEN,
    baseModel: { id: 'demo-trainable-pretrained', dir },
    maxTrainSteps: STEPS,
    learningRate: 0.05,
    batchSize: 2,
    resolution: { width: 64, height: 64 },
    seed: 99,
    saveEvery: 20,
    ...overrides,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-ti-engine-'));
    zeroDir = await mkdtemp(join(tmpdir(), 'atelier-ti-zero-'));
    await buildTrainableDemoModel(dir, { weightTransposed: 'pretrained' });
    await buildTrainableDemoModel(zeroDir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(zeroDir, { recursive: true, force: true });
  });

  async function run(prepared: PreparedTraining, resumeFrom?: TrainingCheckpoint) {
    const events: TrainingEvent[] = [];
    const result = await prepared.run({ resumeFrom, onProgress: (event) => void events.push(event) });
    return { result, events, checkpoints: events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : [])) };
  }

  it('the gradient of the vectors is the derivative of the loss (central differences)', async () => {
    const latent = { width: 8, height: 8 };
    const base = await openTextualInversionBase(dir, TOKEN, latent);
    try {
      const terms = await base.terms('a photo of zxqti zxqti', 'caption');
      assert.deepEqual([...terms.occurrences], [2, 2], 'each vector counted per occurrence');
      const denoiser = new EmbeddingDenoiser(base.contract.residual, latent, base.weightTransposed, base.contract.embeddingSize);
      const vectors = Float32Array.from({ length: 2 * base.contract.embeddingSize }, (_, i) => Math.sin(i));
      const example = { ...terms, cleanLatent: Float32Array.from({ length: 4 * 64 }, (_, i) => Math.cos(i) * 0.5), lossWeight: 1 };
      const draw = { timestep: 500, noise: Float64Array.from({ length: 4 * 64 }, (_, i) => Math.sin(3 * i)) };
      const gradient = new Float64Array(vectors.length);
      denoiser.lossAndGradient(vectors, example, draw, { gradientScale: 1 }, gradient);
      const h = 1e-2;
      let worst = 0;
      for (const index of [0, 5, 31, 32, 50]) {
        const plus = Float64Array.from(vectors);
        const minus = Float64Array.from(vectors);
        plus[index] += h;
        minus[index] -= h;
        const sink = new Float64Array(vectors.length);
        const numeric = (denoiser.lossAndGradient(plus, example, draw, { gradientScale: 1 }, sink) - denoiser.lossAndGradient(minus, example, draw, { gradientScale: 1 }, sink)) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - gradient[index]) / Math.max(Math.abs(numeric), 1e-6));
      }
      assert.ok(worst < 1e-3, `relative gradient error ${worst}`);
    } finally {
      await base.dispose();
    }
  });

  it('resumes bit for bit from a checkpoint and refuses one of another job', async () => {
    const whole = await run(await engine.prepare(createTrainingJob('ti-1', params(), dataset)));
    assert.deepEqual(whole.checkpoints.map((checkpoint) => checkpoint.step), [20, 40]);
    const width = parseSafetensors(whole.result.safetensors).tensors.get('emb_params')?.shape[1] ?? 0;
    const { rows } = parseEmbedding(whole.result.safetensors, { count: 2, width });
    assert.ok(rows.every(Number.isFinite));
    const resumed = await run(await engine.prepare(createTrainingJob('ti-1', params(), dataset)), whole.checkpoints[0]);
    assert.deepEqual(resumed.events[0], { type: 'started', step: 20, totalSteps: STEPS, resumed: true });
    assert.deepEqual(resumed.result.safetensors, whole.result.safetensors, 'same file as the uninterrupted run');
    const other = await engine.prepare(createTrainingJob('ti-1', params({ seed: 100 }), dataset));
    await assert.rejects(other.run({ resumeFrom: whole.checkpoints[0] }), CheckpointMismatchError);
  });

  it('refuses a base whose residual layer is zero, a multi-token initializer, and captions without the token', async () => {
    await assert.rejects(engine.prepare(createTrainingJob('ti-2', params({ baseModel: { id: 'demo-trainable', dir: zeroDir } }), dataset)), (error: unknown) => error instanceof InvalidTrainingJobError && /residual layer is zero/.test(error.message));
    await assert.rejects(
      engine.prepare(createTrainingJob('ti-3', params({ textualInversion: { ...TOKEN, initializerToken: 'zzqqxxvv' } }), dataset)),
      (error: unknown) => error instanceof InvalidTrainingJobError && error.issues[0].field === 'textualInversion.initializerToken',
    );
    const notTrainable = await mkdtemp(join(tmpdir(), 'atelier-ti-plain-'));
    try {
      await assert.rejects(engine.prepare(createTrainingJob('ti-6', params({ baseModel: { id: 'demo-sd15', dir: notTrainable } }), dataset)), (error: unknown) => error instanceof InvalidTrainingJobError && error.issues[0].field === 'baseModel');
    } finally {
      await rm(notTrainable, { recursive: true, force: true });
    }
    const uncaptioned = dataset.map((example) => ({ ...example, caption: 'a photo of' }));
    await assert.rejects(engine.prepare(createTrainingJob('ti-4', params(), uncaptioned)), (error: unknown) => error instanceof InvalidTrainingJobError && /does not contain the placeholder token/.test(error.message));
    const long = `a photo of zxqti ${'very '.repeat(80)}`;
    await assert.rejects(engine.prepare(createTrainingJob('ti-5', params({ samplePrompts: [long] }), dataset)), (error: unknown) => error instanceof InvalidTrainingJobError && error.issues[0].field === 'samplePrompts.0');
  });
});

