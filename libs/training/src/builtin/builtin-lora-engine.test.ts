import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelGraph, OnnxModel, planLoraMerge } from '@atelier/adapters';
import { buildTrainableDemoModel, type TrainableDemoModelInfo } from '@atelier/demo-model';
import { parseSafetensors } from '@atelier/model-formats';
import { TrainingCanceledError, type PreparedTraining, type TrainingCheckpoint, type TrainingEvent } from '../engine/trainer-engine.js';
import { createTrainingJob, type TrainingParamsInput } from '../engine/training-job.js';
import { validateLoraFile } from '../lora/validate-lora-file.js';
import { checkerboardDataset, meanImage, meanSquaredError } from '../testing/checkerboard.js';
import { BuiltInLoraEngine } from './builtin-lora-engine.js';
import { CheckpointMismatchError } from './optimizer-state.js';

const CLOCK = (): Date => new Date('2026-01-02T03:04:05Z');
const STEPS = 120;

function tensors(bytes: Uint8Array): Record<string, number[]> {
  const file = parseSafetensors(bytes);
  return Object.fromEntries([...file.tensors].map(([name, entry]) => [name, [...entry.data]]));
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('BuiltInLoraEngine', () => {
  let dir: string;
  let info: TrainableDemoModelInfo;
  let training: PreparedTraining;
  const engine = new BuiltInLoraEngine({ now: CLOCK });
  const dataset = checkerboardDataset(6);
  const params = (overrides: Partial<TrainingParamsInput> = {}): TrainingParamsInput => ({
    outputName: 'zxq-checkerboard',
    triggerWord: 'zxq',
    baseModel: { id: 'demo-sd15-trainable', dir },
    network: { rank: 4, alpha: 4 },
    maxTrainSteps: STEPS,
    learningRate: 0.01,
    batchSize: 2,
    resolution: { width: 64, height: 64 },
    seed: 1234,
    saveEvery: 40,
    sampleEvery: 60,
    samplePrompts: ['a photo of zxq'],
    priorPreservation: { classPrompt: 'a photo of', weight: 1 },
    minSnrGamma: 5,
    ...overrides,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-builtin-'));
    info = await buildTrainableDemoModel(dir);
    training = await engine.prepare(createTrainingJob('job-1', params(), dataset));
  });
  after(async () => {
    await training?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(prepared: PreparedTraining, resumeFrom?: TrainingCheckpoint) {
    const events: TrainingEvent[] = [];
    const result = await prepared.run({ resumeFrom, onProgress: (event) => void events.push(event) });
    return { result, events, steps: events.flatMap((event) => (event.type === 'step' ? [event] : [])) };
  }

  it('trains a LoRA on the denoising loss: the loss goes down, the file is a kohya LoRA the adapters merge', async () => {
    const { result, events, steps } = await run(training);
    assert.deepEqual(events[0], { type: 'started', step: 0, totalSteps: STEPS, resumed: false });
    assert.deepEqual(steps.map((event) => event.step), Array.from({ length: STEPS }, (_, i) => i + 1));
    assert.ok(steps.every((event) => Number.isFinite(event.loss) && event.loss >= 0 && event.learningRate === 0.01));
    // 6 images in batches of 2: 3 steps per epoch.
    assert.deepEqual(events.filter((event) => event.type === 'epoch').length, STEPS / 3);
    assert.equal(steps.at(-1)?.epoch, STEPS / 3);
    const first = mean(steps.slice(0, 20).map((event) => event.loss));
    const last = mean(steps.slice(-20).map((event) => event.loss));
    assert.ok(last < first / 10, `loss ${first.toExponential(2)} → ${last.toExponential(2)}`);
    assert.equal(result.steps, STEPS);
    assert.equal(result.finalLoss, steps.at(-1)?.loss);

    const validated = validateLoraFile(result.safetensors, { rank: 4, requiredModules: [info.contract.kohyaPrefix], requiredMetadata: ['ss_network_dim'] });
    assert.deepEqual(validated.modules, [{ prefix: info.contract.kohyaPrefix, rank: 4, inFeatures: 32, outFeatures: 256, alpha: 4 }]);
    const metadata = validated.file.metadata;
    assert.deepEqual(metadata, result.metadata);
    for (const [key, value] of Object.entries({
      ss_base_model_version: 'sd_v1',
      ss_sd_model_name: 'demo-sd15-trainable',
      ss_network_module: 'networks.lora',
      ss_network_dim: '4',
      ss_network_alpha: '4',
      ss_steps: String(STEPS),
      ss_max_train_steps: String(STEPS),
      ss_resolution: '(64, 64)',
      ss_output_name: 'zxq-checkerboard',
      ss_learning_rate: '0.01',
      ss_seed: '1234',
      ss_num_train_images: '6',
      ss_num_reg_images: '6',
      ss_prior_loss_weight: '1',
      ss_min_snr_gamma: '5',
      ss_training_started_at: String(CLOCK().getTime() / 1000),
      ss_training_finished_at: String(CLOCK().getTime() / 1000),
      atelier_trigger_word: 'zxq',
      ss_tag_frequency: JSON.stringify({ '1_zxq': { 'a photo of zxq': 6 } }),
    })) {
      assert.equal(metadata[key], value, key);
    }

    const unet = await OnnxModel.load(info.paths.unet);
    const plan = await planLoraMerge({ component: 'unet', graph: new ModelGraph(unet) }, [{ name: 'zxq', file: validated.file, weight: 1 }]);
    assert.equal(plan.report.applied, 1);
    assert.ok([...(plan.updates.get(info.contract.initializer) ?? [])].some((value) => value !== 0), 'the merge changes W');
  });

  it('previews what the model draws at each sample step, already close to the concept', async () => {
    const { events } = await run(training);
    const samples = events.flatMap((event) => (event.type === 'sample' ? [event] : []));
    assert.deepEqual(samples.map((event) => [event.step, event.prompt]), [[60, 'a photo of zxq'], [120, 'a photo of zxq']]);
    const target = meanImage(dataset.map((example) => example.image));
    const errors = samples.map((event) => {
      assert.ok(event.image !== undefined && event.image.width === 64 && event.image.height === 64);
      assert.ok(event.image.data.every((value) => value >= 0 && value <= 1));
      return meanSquaredError(event.image.data, target);
    });
    // The untrained model draws neutral grey: MSE 0.25 against a saturated checkerboard.
    assert.ok(errors.every((error) => error < 0.1), `preview MSE ${errors.join(' → ')}`);
  });

  it('is deterministic for a seed and different for another seed', async () => {
    const again = await run(training);
    const once = await run(training);
    assert.deepEqual(tensors(again.result.safetensors), tensors(once.result.safetensors));
    assert.deepEqual(again.steps, once.steps);
    const other = await engine.prepare(createTrainingJob('job-2', params({ seed: 99 }), dataset));
    try {
      const different = await run(other);
      assert.notDeepEqual(tensors(different.result.safetensors), tensors(once.result.safetensors));
    } finally {
      await other.dispose();
    }
  });

  it('checkpoints every saveEvery steps, and resuming from one gives the uninterrupted run bit for bit', async () => {
    const uninterrupted = await run(training);
    const checkpoints = uninterrupted.events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : []));
    assert.deepEqual(checkpoints.map((checkpoint) => checkpoint.step), [40, 80]);
    for (const checkpoint of checkpoints) {
      // A checkpoint's LoRA is a usable LoRA file on its own.
      const validated = validateLoraFile(checkpoint.loraState, { rank: 4 });
      assert.equal(validated.file.metadata.ss_steps, String(checkpoint.step));
      assert.ok(checkpoint.optimizerState.byteLength > 0);
    }
    for (const checkpoint of checkpoints) {
      // A fresh preparation, as after a worker restart.
      const restarted = await engine.prepare(createTrainingJob('job-1', params(), dataset));
      try {
        const resumed = await run(restarted, { step: checkpoint.step, loraState: checkpoint.loraState.slice(), optimizerState: checkpoint.optimizerState.slice() });
        assert.deepEqual(resumed.events[0], { type: 'started', step: checkpoint.step, totalSteps: STEPS, resumed: true });
        assert.deepEqual(tensors(resumed.result.safetensors), tensors(uninterrupted.result.safetensors), `resumed from step ${checkpoint.step}`);
        assert.deepEqual(resumed.steps, uninterrupted.steps.slice(checkpoint.step), 'same losses step for step');
      } finally {
        await restarted.dispose();
      }
    }
  });

  it('refuses a checkpoint from another job or with a mismatched step', async () => {
    const { events } = await run(training);
    const checkpoint = events.flatMap((event) => (event.type === 'checkpoint' ? [event.checkpoint] : []))[0];
    const other = await engine.prepare(createTrainingJob('job-3', params({ learningRate: 0.02 }), dataset));
    try {
      await assert.rejects(other.run({ resumeFrom: checkpoint }), CheckpointMismatchError);
    } finally {
      await other.dispose();
    }
    await assert.rejects(training.run({ resumeFrom: { ...checkpoint, step: checkpoint.step + 1 } }), /optimizer state is at step 40/);
    await assert.rejects(training.run({ resumeFrom: { ...checkpoint, optimizerState: new Uint8Array(16) } }), CheckpointMismatchError);
  });

  it('stops at the next step when its signal is aborted', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      training.run({
        signal: controller.signal,
        onProgress: (event) => {
          if (event.type !== 'step') return;
          seen.push(event.step);
          if (event.step === 10) controller.abort(new Error('user canceled'));
        },
      }),
      (error: unknown) => error instanceof TrainingCanceledError && error.step === 10 && /user canceled/.test(error.message),
    );
    assert.equal(seen.at(-1), 10);
  });
});
