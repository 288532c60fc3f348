import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OnnxModel } from '@atelier/adapters';
import { buildTrainableDemoModel, promptEmbeddingOf, TRAINABLE_LAYER, trainableCleanLatent } from '@atelier/demo-model';
import { parseSafetensors } from '@atelier/model-formats';
import type { TrainingImage } from '../dataset/training-example.js';
import type { PreparedTraining, TrainingCheckpoint, TrainingEvent } from '../engine/trainer-engine.js';
import { createTrainingJob, InvalidTrainingJobError, type TrainingParamsInput } from '../engine/training-job.js';
import { DEMO_UNET_CHECKPOINT_KEY, parseUnetCheckpoint } from '../dreambooth/unet-checkpoint.js';
import { writeFineTunedExport } from '../dreambooth/fine-tuned-export.js';
import { checkerboardDataset, meanImage, meanSquaredError } from '../testing/checkerboard.js';
import { BuiltInDreamBoothEngine } from './builtin-dreambooth-engine.js';
import { decodeDemoLatent } from './sample-preview.js';
import { openTrainableBase } from './trainable-base.js';

const CLOCK = (): Date => new Date('2026-01-02T03:04:05Z');
const STEPS = 120;

describe('BuiltInDreamBoothEngine', () => {
  let dir: string;
  const engine = new BuiltInDreamBoothEngine({ now: CLOCK });
  const dataset = checkerboardDataset(6);
  const target = meanImage(dataset.map((example) => example.image));
  let classPictures: TrainingImage[];
  const params = (overrides: Partial<TrainingParamsInput> = {}): TrainingParamsInput => ({
    method: 'dreambooth',
    outputName: 'zxq-dreambooth',
    triggerWord: 'zxq',
    baseModel: { id: 'demo-trainable', dir: join(dir, 'base') },
    maxTrainSteps: STEPS,
    learningRate: 0.01,
    batchSize: 2,
    resolution: { width: 64, height: 64 },
    seed: 77,
    saveEvery: 40,
    priorPreservation: { classPrompt: 'a photo of', weight: 1 },
    ...overrides,
  });

  /** What a (base or fine-tuned) UNet weight draws for a prompt: the exact denoiser's x0, decoded. */
  async function draw(weightTransposed: Float32Array, prompt: string): Promise<Float32Array> {
    const base = await openTrainableBase(join(dir, 'base'));
    try {
      return decodeDemoLatent(trainableCleanLatent(await base.encode(prompt), weightTransposed, base.contract, 8, 8), 8, 8, base.contract.scalingFactor).data;
    } finally {
      await base.dispose();
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-dreambooth-'));
    await buildTrainableDemoModel(join(dir, 'base'));
    const base = await openTrainableBase(join(dir, 'base'));
    // The class pictures the base model draws (the farm renders them with the pipeline).
    const picture = decodeDemoLatent(trainableCleanLatent(await base.encode('a photo of'), base.weightTransposed, base.contract, 8, 8), 8, 8, base.contract.scalingFactor);
    assert.equal(promptEmbeddingOf(await base.encode('a photo of'), base.contract).length, base.inFeatures);
    await base.dispose();
    classPictures = [picture, picture];
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const classExamples = () => classPictures.map((image, i) => ({ name: `class/${i}.png`, image, caption: 'a photo of' }));

  async function run(prepared: PreparedTraining, resumeFrom?: TrainingCheckpoint) {
    const events: TrainingEvent[] = [];
    const result = await prepared.run({ resumeFrom, onProgress: (event) => void events.push(event) });
    return { result, events };
  }

  it('fine-tunes the UNet weight itself: the identifier draws the instances, the class prompt still draws what the base drew', async () => {
    const training = await engine.prepare(createTrainingJob('db-1', params(), dataset, classExamples()));
    const { result, events } = await run(training);
    const losses = events.flatMap((event) => (event.type === 'step' ? [event.loss] : []));
    assert.equal(losses.length, STEPS);
    const early = losses.slice(0, 20).reduce((a, b) => a + b) / 20;
    const late = losses.slice(-20).reduce((a, b) => a + b) / 20;
    const base = await openTrainableBase(join(dir, 'base'));
    const baseWeight = base.weightTransposed;
    await base.dispose();
    const tuned = parseUnetCheckpoint(result.safetensors, { inFeatures: 32, outFeatures: 256 }).weightTransposed;
    const instanceBefore = meanSquaredError(await draw(baseWeight, 'a photo of zxq'), target);
    const instanceAfter = meanSquaredError(await draw(tuned, 'a photo of zxq'), target);
    const classDrift = meanSquaredError(await draw(tuned, 'a photo of'), await draw(baseWeight, 'a photo of'));

    const noPrior = await engine.prepare(createTrainingJob('db-2', params({ priorPreservation: undefined }), dataset));
    const unpreserved = parseUnetCheckpoint((await run(noPrior)).result.safetensors, { inFeatures: 32, outFeatures: 256 }).weightTransposed;
    const classDriftWithoutPrior = meanSquaredError(await draw(unpreserved, 'a photo of'), await draw(baseWeight, 'a photo of'));
    console.log(
      `DreamBooth: loss ${early.toFixed(4)} → ${late.toFixed(4)}; MSE of "a photo of zxq" to the instances ${instanceBefore.toFixed(4)} → ${instanceAfter.toFixed(4)}; ` +
        `"a photo of" drift from the base ${classDrift.toFixed(5)} with prior preservation, ${classDriftWithoutPrior.toFixed(5)} without`,
    );
    assert.ok(late < early, 'the loss falls');
    assert.ok(instanceAfter < instanceBefore * 0.5, `the identifier draws the instances (${instanceAfter} vs ${instanceBefore})`);
    assert.ok(classDrift < classDriftWithoutPrior * 0.5, `prior preservation keeps the class (${classDrift} vs ${classDriftWithoutPrior})`);
    assert.equal(result.metadata.atelier_method, 'dreambooth');
    assert.equal(result.metadata.ss_num_reg_images, '2');
    assert.ok(events.some((event) => event.type === 'checkpoint'));
  });

  it('resumes from a checkpoint bit for bit', async () => {
    const job = createTrainingJob('db-3', params(), dataset, classExamples());
    const whole = await run(await engine.prepare(job));
    const checkpoint = whole.events.flatMap((event) => (event.type === 'checkpoint' && event.checkpoint.step === 80 ? [event.checkpoint] : []))[0];
    assert.ok(checkpoint);
    const resumed = await run(await engine.prepare(job), checkpoint);
    assert.deepEqual(parseSafetensors(resumed.result.safetensors).tensors.get(DEMO_UNET_CHECKPOINT_KEY)?.data, parseSafetensors(whole.result.safetensors).tensors.get(DEMO_UNET_CHECKPOINT_KEY)?.data);
    assert.equal(resumed.events.filter((event) => event.type === 'step').length, STEPS - 80);
  });

  it('writes the fine-tuned checkpoint into the base export (the refit path) and refuses jobs that are not DreamBooth', async () => {
    const { result } = await run(await engine.prepare(createTrainingJob('db-4', params({ maxTrainSteps: 10 }), dataset, classExamples())));
    const report = await writeFineTunedExport(result.safetensors, join(dir, 'base'), join(dir, 'tuned'));
    assert.deepEqual(report.components.map((component) => [component.component, component.replaced]), [['unet', 1]]);
    const written = await (await OnnxModel.load(join(dir, 'tuned', 'unet', 'model.onnx'))).readFloat32(TRAINABLE_LAYER.initializer);
    assert.deepEqual(written, parseUnetCheckpoint(result.safetensors, { inFeatures: 32, outFeatures: 256 }).weightTransposed);
    await assert.rejects(engine.prepare(createTrainingJob('db-5', { ...params(), method: 'lora', priorPreservation: undefined }, dataset)), InvalidTrainingJobError);
    assert.throws(() => createTrainingJob('db-6', params(), dataset), InvalidTrainingJobError, 'prior preservation without class pictures');
  });
});
