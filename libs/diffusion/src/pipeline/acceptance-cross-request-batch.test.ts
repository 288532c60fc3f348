/**
 * Acceptance: requests batched across jobs (`generateTogether`) give, image for image, exactly
 * the pixels each request gives alone. Runs on the demo model (whose picture is the prompt's, so
 * a prompt given to the wrong rows shows) and on the sd2-tiny fixture (random weights, where
 * start noise and text both move every pixel).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool } from '../runtime/session-pool.js';
import { GenerationCanceledError, UnsupportedRequestError } from './errors.js';
import { StableDiffusionPipeline, type BatchRequest, type GenerationParams, type GenerationResult } from './stable-diffusion.js';
import { maxAbsDiff, openDemoModels, type DemoModels } from './testing/demo-oracle.js';

/** Pictures of different prompts (or seeds on sd2-tiny) differ by far more than this. */
const DIFFERENT = 0.05;

function differingValues(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) count++;
  return count;
}

/** Each request's batched images against the same request run alone, value for value. */
async function assertEachAsAlone(pipeline: StableDiffusionPipeline, model: LoadedModel, requests: readonly GenerationParams[], batched: readonly GenerationResult[]): Promise<void> {
  for (const [index, params] of requests.entries()) {
    const alone = await pipeline.generate(model, params);
    assert.equal(alone.stats.batchJobs, 1);
    assert.deepEqual(
      batched[index].images.map((image) => image.seed),
      [...params.seeds],
    );
    for (const [k, image] of alone.images.entries()) {
      const differing = differingValues(batched[index].images[k].pixels, image.pixels);
      assert.equal(differing, 0, `request ${index} image ${k}: ${differing} values differ from the request alone (max ${maxAbsDiff(batched[index].images[k].pixels, image.pixels)})`);
    }
  }
}

describe('acceptance: requests batched across jobs are bit-identical to each request alone', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let demos: DemoModels;
  let tiny: LoadedModel;

  before(async () => {
    demos = await openDemoModels();
    tiny = await LoadedModel.open(await readModelFolder(sharedFixture(path.join('sd2-tiny-onnx', 'model')), 'sd2-tiny'));
  });
  after(async () => {
    await pool.close();
    await demos?.dispose();
  });

  const shared = { steps: 5, guidanceScale: 7.5, width: 64, height: 64 } as const;
  const requestsFor = (scheduler: string): GenerationParams[] => [
    { ...shared, scheduler, prompt: 'a red circle on a blue background', negativePrompt: '', seeds: [11] },
    { ...shared, scheduler, prompt: 'a green square on a white background', negativePrompt: 'blurry', seeds: [12] },
    { ...shared, scheduler, prompt: 'a yellow triangle on a black background', negativePrompt: 'ugly', seeds: [13, 14] },
    { ...shared, scheduler, prompt: 'a red circle on a blue background', negativePrompt: '', seeds: [15] },
  ];

  for (const scheduler of ['DDIM', 'Euler a', 'DPM++ SDE']) {
    it(`${scheduler}: 4 requests (different prompts, negative prompts, seeds, samples) as one UNet batch, on demo-sd15 and sd2-tiny`, async () => {
      for (const model of [demos.epsilon, tiny]) {
        const requests = requestsFor(scheduler);
        const batched = await Promise.all(pipeline.generateTogether(model, requests.map((params) => ({ params }))));
        assert.deepEqual(
          batched.map((result) => result.stats.batchJobs),
          [4, 4, 4, 4],
        );
        await assertEachAsAlone(pipeline, model, requests, batched);
        // Prompts went to their own rows: the red circle and the green square are different pictures.
        const difference = maxAbsDiff(batched[0].images[0].pixels, batched[1].images[0].pixels);
        assert.ok(difference > DIFFERENT, `${model.id}: requests 0 and 1 differ by only ${difference}`);
      }
    });
  }

  it('progress is reported per request; a request canceled mid-loop rejects at once while the others finish unchanged', async () => {
    const requests = requestsFor('Euler a');
    const steps: number[][] = requests.map(() => []);
    const canceling = new AbortController();
    const batch: BatchRequest[] = requests.map((params, index) => ({
      params,
      hooks: {
        signal: index === 1 ? canceling.signal : undefined,
        onStep: (step) => {
          steps[index].push(step);
          if (index === 1 && step === 2) canceling.abort('canceled');
        },
      },
    }));
    const settled = await Promise.allSettled(pipeline.generateTogether(tiny, batch));
    const canceled = settled[1];
    assert.equal(canceled.status, 'rejected');
    assert.ok(canceled.reason instanceof GenerationCanceledError);
    assert.equal(canceled.reason.reason, 'canceled');
    assert.deepEqual(steps[1], [1, 2], 'the canceled request sees no step after it was canceled');
    const survivors = [0, 2, 3];
    for (const index of survivors) assert.deepEqual(steps[index], [1, 2, 3, 4, 5], `request ${index} progress`);
    const results = survivors.map((index) => {
      const outcome = settled[index];
      assert.equal(outcome.status, 'fulfilled');
      return outcome.value;
    });
    await assertEachAsAlone(
      pipeline,
      tiny,
      survivors.map((index) => requests[index]),
      results,
    );
  });

  it('refuses to merge requests that differ in steps, guidance, scheduler, size or mode (each is refused, none is run)', async () => {
    const [a, b] = requestsFor('Euler');
    for (const other of [{ ...b, steps: 6 }, { ...b, guidanceScale: 3 }, { ...b, scheduler: 'DDIM' }, { ...b, width: 128 }]) {
      const settled = await Promise.allSettled(pipeline.generateTogether(tiny, [{ params: a }, { params: other }]));
      for (const outcome of settled) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(outcome.reason instanceof UnsupportedRequestError);
        assert.equal(outcome.reason.field, 'batch');
      }
    }
  });

  it('a prompt longer than 77 tokens runs as its own batch; everything stays bit-identical', async () => {
    const requests = requestsFor('DDIM');
    requests[2] = { ...requests[2], prompt: `${requests[2].prompt}, ${Array.from({ length: 90 }, () => 'detailed').join(' ')}` };
    const batched = await Promise.all(pipeline.generateTogether(tiny, requests.map((params) => ({ params }))));
    assert.deepEqual(
      batched.map((result) => result.stats.batchJobs),
      [3, 3, 1, 3],
    );
    await assertEachAsAlone(pipeline, tiny, requests, batched);
  });
});
