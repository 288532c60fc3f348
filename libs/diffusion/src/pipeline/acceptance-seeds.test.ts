/**
 * Acceptance: per-image seeds. Runs on the sd2-tiny fixture (random weights), whose pictures
 * depend strongly on the start noise, so a shared, shifted or re-ordered seed changes pixels.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool } from '../runtime/session-pool.js';
import { resolveScheduler } from '../schedulers/index.js';
import { StableDiffusionPipeline, type GenerationParams, type GenerationResult } from './stable-diffusion.js';
import { maxAbsDiff, seededNormals } from './testing/demo-oracle.js';

const SEED = 4242;
/** Pictures from different seeds differ by far more than this on the random-weight model (measured ≥ 0.89 at 4 steps). */
const DIFFERENT = 0.05;

/** Number of values that are not bit-identical (NaN never equals anything). */
function differingValues(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) count++;
  return count;
}

describe('acceptance: seeds make every image of a batch reproducible alone', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let model: LoadedModel;
  const base = { prompt: 'a red circle on a blue background', negativePrompt: 'blurry', steps: 4, guidanceScale: 5, width: 64, height: 64 } as const;
  const generate = (params: Partial<GenerationParams> & { seeds: readonly number[] }): Promise<GenerationResult> => pipeline.generate(model, { ...base, ...params });

  before(async () => {
    const dir = sharedFixture(path.join('sd2-tiny-onnx', 'model'));
    model = await LoadedModel.open(await readModelFolder(dir, 'sd2-tiny'));
  });
  after(() => pool.close());

  // The model's own DDIM (deterministic), Euler a (ancestral: fresh noise every step) and
  // DPM++ SDE (Brownian-tree noise, seeded per image).
  for (const scheduler of ['DDIM', 'Euler a', 'DPM++ SDE']) {
    it(`${scheduler}: image k of seeds [s, s+1, s+2, s+3] is exactly the image of seeds [s+k] alone`, async () => {
      assert.equal(resolveScheduler(scheduler).definition.deterministic, scheduler === 'DDIM');
      const seeds = [SEED, SEED + 1, SEED + 2, SEED + 3];
      const batch = await generate({ scheduler, seeds });
      assert.deepEqual(
        batch.images.map((image) => image.seed),
        seeds,
      );
      for (const [k, seed] of seeds.entries()) {
        const alone = await generate({ scheduler, seeds: [seed] });
        assert.equal(alone.images.length, 1);
        const differing = differingValues(batch.images[k].pixels, alone.images[0].pixels);
        assert.equal(differing, 0, `image ${k}: ${differing} values differ from seeds [${seed}] alone (max ${maxAbsDiff(batch.images[k].pixels, alone.images[0].pixels)})`);
      }
      // Seeds must not be shared or shifted: every pair of images in the batch is different.
      for (let a = 0; a < seeds.length; a++) {
        for (let b = a + 1; b < seeds.length; b++) {
          const difference = maxAbsDiff(batch.images[a].pixels, batch.images[b].pixels);
          assert.ok(difference > DIFFERENT, `images ${a} and ${b} differ by only ${difference}`);
        }
      }
    });
  }

  it('the same seed twice gives identical images, in separate runs and within one batch', async () => {
    for (const scheduler of ['DDIM', 'Euler a']) {
      const first = await generate({ scheduler, seeds: [SEED + 10] });
      const second = await generate({ scheduler, seeds: [SEED + 10] });
      assert.equal(differingValues(first.images[0].pixels, second.images[0].pixels), 0, `${scheduler}: repeated run`);
      const twice = await generate({ scheduler, seeds: [SEED + 10, SEED + 10] });
      assert.equal(differingValues(twice.images[0].pixels, first.images[0].pixels), 0, `${scheduler}: batch image 0`);
      assert.equal(differingValues(twice.images[1].pixels, first.images[0].pixels), 0, `${scheduler}: batch image 1`);
    }
  });

  it('different seeds give different images, including for an ancestral sampler from the same start latents', async () => {
    const a = await generate({ scheduler: 'DDIM', seeds: [1] });
    const b = await generate({ scheduler: 'DDIM', seeds: [2] });
    assert.ok(maxAbsDiff(a.images[0].pixels, b.images[0].pixels) > DIFFERENT, 'DDIM: seeds 1 and 2');
    // Same explicit start latents: what differs then is only the per-step noise the seed drives.
    const latents = seededNormals(77, 4 * 8 * 8);
    const c = await generate({ scheduler: 'Euler a', seeds: [1], latents });
    const d = await generate({ scheduler: 'Euler a', seeds: [2], latents });
    assert.ok(maxAbsDiff(c.images[0].pixels, d.images[0].pixels) > DIFFERENT, 'Euler a: the seed drives the ancestral noise');
    const e = await generate({ scheduler: 'DDIM', seeds: [1], latents });
    const f = await generate({ scheduler: 'DDIM', seeds: [2], latents });
    assert.equal(differingValues(e.images[0].pixels, f.images[0].pixels), 0, 'DDIM from explicit latents does not depend on the seed');
  });
});
