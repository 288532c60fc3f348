import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool } from '../runtime/session-pool.js';
import { resolveScheduler, schedulerForModelDefault } from '../schedulers/index.js';
import { StableDiffusionPipeline } from './stable-diffusion.js';
import { readF32 } from '../controlnet/testing/controlnet-reference.js';
import { maxAbsDifference } from '../schedulers/testing/exact-denoiser.js';
import { modelFolderForRun, readDpmSingleReferences, type DpmSingleReference } from './testing/dpm-single-references.js';

describe('the pipeline with DPMSolverSinglestepScheduler matches diffusers on the sd2-tiny ONNX export', () => {
  const fixture = sharedFixture('sd2-tiny-onnx');
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let work: string;
  let runs: DpmSingleReference[];
  let latents: Float32Array;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'dpm-single-ref-'));
    runs = await readDpmSingleReferences();
    latents = await readF32(path.join(fixture, 'reference', 'latents_1x4x8x8.f32'));
  });
  after(async () => {
    await pool.close();
    await rm(work, { recursive: true, force: true });
  });

  it('selects the single-step solver by the name "DPM Single" and by the class name in a scheduler_config.json', () => {
    assert.equal(resolveScheduler('DPM Single').definition.id, 'dpm-single');
    assert.equal(resolveScheduler('DPMSolverSinglestepScheduler').definition.id, 'dpm-single');
    assert.equal(schedulerForModelDefault({ _class_name: 'DPMSolverSinglestepScheduler' }).id, 'dpm-single');
    assert.ok(runs.some((run) => run.scheduler_name !== null) && runs.some((run) => run.scheduler_config !== undefined), 'the references cover both ways');
  });

  it('reproduces every reference (orders 2 and 3, midpoint and heun, Karras σ on and off, 10 and 25 steps) within 2e-3', async () => {
    for (const run of runs) {
      const model = await LoadedModel.open(await readModelFolder(await modelFolderForRun(run, path.join(fixture, 'model'), work), 'sd2-tiny'));
      assert.equal(model.schedulerConfig.prediction_type, 'v_prediction');
      if (run.scheduler_config !== undefined) assert.equal(model.defaultScheduler.id, 'dpm-single', `${run.label}: the class name selects the model's default`);
      const result = await pipeline.generate(model, {
        prompt: run.prompt,
        negativePrompt: run.negative_prompt,
        steps: run.steps,
        guidanceScale: run.guidance_scale,
        ...(run.scheduler_name === null ? {} : { scheduler: run.scheduler_name }),
        width: run.width,
        height: run.height,
        seeds: [0],
        latents,
      });
      assert.equal(result.scheduler.id, 'dpm-single', run.label);
      assert.equal(result.stats.steps, run.timesteps.length, `${run.label}: one UNet evaluation per diffusers timestep`);
      const expected = await readF32(run.imagePath);
      assert.equal(result.images[0].pixels.length, expected.length, run.label);
      const error = maxAbsDifference(result.images[0].pixels, expected);
      console.log(`${run.label}: ${result.sampler}, max abs error ${error.toExponential(2)}`);
      assert.ok(error < 2e-3, `${run.label}: max abs error ${error}`);
    }
  });
});
