/**
 * The sampler name a generation reports (and the infotext writes) reproduces the generation:
 * with Karras σ it says "… Karras", and re-running from the parsed infotext gives the same pixels.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatInfotext, parseInfotextSettings } from '../image/a1111-parameters.js';
import { SessionPool } from '../runtime/session-pool.js';
import { StableDiffusionPipeline } from './stable-diffusion.js';
import { openDemoModels, type DemoModels } from './testing/demo-oracle.js';

describe('infotext sampler name on the demo model', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let demo: DemoModels;
  const base = { prompt: 'a red circle on a blue background', negativePrompt: '', steps: 5, guidanceScale: 7.5, width: 64, height: 64, seeds: [9] } as const;

  before(async () => {
    demo = await openDemoModels();
  });
  after(async () => {
    await pool.close();
    await demo?.dispose();
  });

  for (const [requested, written] of [
    ['dpmpp_2m_karras', 'DPM++ 2M Karras'],
    ['Euler a Karras', 'Euler a Karras'],
    ['DPM++ SDE Karras', 'DPM++ SDE Karras'],
  ] as const) {
    it(`${requested} is written "${written}", and the infotext re-runs to the same pixels`, async () => {
      const first = await pipeline.generate(demo.epsilon, { ...base, scheduler: requested });
      assert.equal(first.sampler, written);
      const infotext = formatInfotext({ ...base, sampler: first.sampler, seed: base.seeds[0], model: demo.epsilon.id });
      const sampler = parseInfotextSettings(infotext).get('Sampler');
      const again = await pipeline.generate(demo.epsilon, { ...base, scheduler: sampler });
      assert.deepEqual(again.images[0].pixels, first.images[0].pixels);
      // Without "Karras" the schedule differs, which is why the name must carry it.
      const plain = await pipeline.generate(demo.epsilon, { ...base, scheduler: written.replace(/ Karras$/, '') });
      assert.notDeepEqual(plain.images[0].pixels, first.images[0].pixels);
    });
  }
});
