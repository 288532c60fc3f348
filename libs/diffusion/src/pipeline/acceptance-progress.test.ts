/**
 * Acceptance: progress reporting, cancellation and the single-pass (no CFG) path, observed on the
 * pipeline's real ONNX sessions (a spy records every UNet / VAE decoder run).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderDemoTarget } from '@atelier/demo-model';
import type { LoadedModel } from '../models/loaded-model.js';
import { SessionPool } from '../runtime/session-pool.js';
import { SCHEDULERS } from '../schedulers/index.js';
import { GenerationCanceledError } from './errors.js';
import { StableDiffusionPipeline, type GenerationParams } from './stable-diffusion.js';
import { blockPattern, maxAbsDiff, openDemoModels, planarToHwc, type DemoModels } from './testing/demo-oracle.js';
import { inputDims, spyOnSession, type SessionSpy } from './testing/session-spy.js';
import { writeStaticBatchModel } from './testing/static-batch-model.js';

const PROMPT = 'a red circle on a blue background';
/** A negative prompt naming another picture: if it leaked into a guidance ≤ 1 run, the picture would change. */
const OTHER_PROMPT = 'a green square on a yellow background';
const SIZE = 64;
const LATENT = SIZE / 8;
/** Same bound as the sampler oracle (acceptance-oracle.test.ts explains it). */
const SAMPLER_ERROR = 1e-4;

describe('acceptance: progress, cancellation and guidance ≤ 1', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let demo: DemoModels;
  let unet: SessionSpy;
  let decoder: SessionSpy;
  const base = { prompt: PROMPT, negativePrompt: '', steps: 10, guidanceScale: 7.5, width: SIZE, height: SIZE, seeds: [5] } as const;
  const unguidedPicture = planarToHwc(renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 1 }).data, SIZE, SIZE);

  before(async () => {
    demo = await openDemoModels();
    unet = await spyOnSession(pool, demo.epsilon.folder.components.unet);
    decoder = await spyOnSession(pool, demo.epsilon.folder.components.vaeDecoder);
  });
  after(async () => {
    unet?.restore();
    decoder?.restore();
    await pool.close();
    await demo?.dispose();
  });

  const clearSpies = (): void => {
    unet.clear();
    decoder.clear();
  };

  for (const scheduler of ['Euler', 'Heun']) {
    it(`${scheduler}: aborting after step 3 stops with GenerationCanceledError after exactly 3 UNet evaluations`, async () => {
      clearSpies();
      const controller = new AbortController();
      const reason = new Error('user canceled');
      const seen: [number, number][] = [];
      const run = pipeline.generate(demo.epsilon, { ...base, scheduler }, {
        signal: controller.signal,
        onStep: (step, total) => {
          seen.push([step, total]);
          if (step === 3) controller.abort(reason);
        },
      });
      await assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof GenerationCanceledError, `expected GenerationCanceledError, got ${String(error)}`);
        assert.equal(error.reason, reason, 'the abort reason travels with the error');
        return true;
      });
      const total = scheduler === 'Heun' ? 2 * base.steps - 1 : base.steps;
      assert.deepEqual(seen, [
        [1, total],
        [2, total],
        [3, total],
      ]);
      assert.equal(unet.runs.length, 3, 'no UNet evaluation after the abort');
      assert.equal(decoder.runs.length, 0, 'a canceled run decodes nothing');
    });
  }

  it('an already aborted signal runs no UNet evaluation at all; an unaborted one completes', async () => {
    clearSpies();
    const controller = new AbortController();
    controller.abort();
    const steps: number[] = [];
    await assert.rejects(pipeline.generate(demo.epsilon, base, { signal: controller.signal, onStep: (step) => steps.push(step) }), GenerationCanceledError);
    assert.equal(unet.runs.length, 0);
    assert.deepEqual(steps, []);

    const result = await pipeline.generate(demo.epsilon, base, { signal: new AbortController().signal });
    assert.equal(result.images.length, 1);
  });

  it('progress reports steps 1..total in order, with total = UNet evaluations, for every sampler', async () => {
    for (const definition of SCHEDULERS) {
      for (const extra of [{}, { initImage: blockPattern(SIZE, SIZE, 3), strength: 0.5 }] as const) {
        const label = `${definition.label}${'strength' in extra ? ', img2img strength 0.5' : ''}`;
        clearSpies();
        const seen: [number, number][] = [];
        const steps = definition.id === 'lcm' ? 4 : base.steps;
        const result = await pipeline.generate(demo.epsilon, { ...base, ...extra, steps, scheduler: definition.id }, { onStep: (step, total) => seen.push([step, total]) });
        const evaluations = unet.runs.length;
        assert.ok(evaluations > 0, `${label}: no UNet evaluation`);
        assert.deepEqual(
          seen,
          Array.from({ length: evaluations }, (_, i) => [i + 1, evaluations]),
          `${label}: progress must be 1..${evaluations} of ${evaluations}`,
        );
        assert.equal(result.stats.steps, evaluations, `${label}: stats.steps`);
      }
    }
  });

  it('guidance ≤ 1 runs one unbatched UNet pass per step, conditioned on the prompt only', async () => {
    for (const guidanceScale of [1, 0.5, 0]) {
      for (const seeds of [[5], [5, 6]]) {
        clearSpies();
        const result = await pipeline.generate(demo.epsilon, { ...base, guidanceScale, negativePrompt: OTHER_PROMPT, scheduler: 'Euler', seeds });
        assert.equal(unet.runs.length, base.steps, `guidance ${guidanceScale}: one pass per step`);
        for (const run of unet.runs) {
          assert.deepEqual(inputDims(run, 'sample'), [seeds.length, 4, LATENT, LATENT], `guidance ${guidanceScale}: sample batch`);
          assert.equal(inputDims(run, 'encoder_hidden_states')[0], seeds.length, `guidance ${guidanceScale}: text batch`);
        }
        for (const image of result.images) {
          const error = maxAbsDiff(image.pixels, unguidedPicture);
          assert.ok(error <= SAMPLER_ERROR, `guidance ${guidanceScale}: ${error} from the prompt's unguided picture`);
        }
      }
    }
    // Control: above 1 the same request runs the CFG batch, and the negative prompt matters.
    clearSpies();
    const guided = await pipeline.generate(demo.epsilon, { ...base, guidanceScale: 1.5, negativePrompt: OTHER_PROMPT, scheduler: 'Euler' });
    assert.deepEqual(inputDims(unet.runs[0], 'sample'), [2, 4, LATENT, LATENT]);
    assert.ok(maxAbsDiff(guided.images[0].pixels, unguidedPicture) > 0.1, 'guidance 1.5 pushes away from the negative prompt');
  });

  it('guidance ≤ 1 works on a UNet that rejects batch 2, which guidance > 1 cannot use', async () => {
    const model: LoadedModel = await writeStaticBatchModel({
      sourceDir: demo.epsilon.folder.dir,
      targetDir: path.join(demo.cacheDir, 'static-batch'),
      predictionType: 'epsilon',
      prompt: PROMPT,
      latentWidth: LATENT,
      latentHeight: LATENT,
    });
    const params: GenerationParams = { ...base, scheduler: 'DPM++ 2M' };
    for (const guidanceScale of [1, 0.9, 0]) {
      const result = await pipeline.generate(model, { ...params, guidanceScale });
      const error = maxAbsDiff(result.images[0].pixels, unguidedPicture);
      assert.ok(error <= SAMPLER_ERROR, `guidance ${guidanceScale}: ${error} from the picture`);
    }
    await assert.rejects(pipeline.generate(model, { ...params, guidanceScale: 1.01 }), /invalid dimensions for input: sample[\s\S]*Got: 2 Expected: 1/, 'the static UNet refuses a CFG batch of 2');
  });
});
