/**
 * The denoising loop allocates nothing per step: on the demo model, through the real pipeline
 * (ONNX Runtime UNet, guidance, scheduler, img2img start, latent-mask inpainting blend), a
 * generation of 2N steps allocates exactly as many typed arrays in JavaScript as one of N steps.
 * Not a timing test: it counts allocations (testing/allocation-counter.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionPool } from '../runtime/session-pool.js';
import { SCHEDULERS } from '../schedulers/index.js';
import { countTypedArrayAllocations } from '../schedulers/testing/allocation-counter.js';
import { StableDiffusionPipeline, type GenerationParams } from './stable-diffusion.js';
import { blockPattern, maskImage, openDemoModels, type DemoModels } from './testing/demo-oracle.js';

const SIZE = 64;

describe('denoising loop: no per-step allocation', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let demo: DemoModels;
  const base = { prompt: 'a red circle on a blue background', negativePrompt: '', guidanceScale: 7.5, width: SIZE, height: SIZE, seeds: [5] } as const;

  before(async () => {
    demo = await openDemoModels();
  });
  after(async () => {
    await pool.close();
    await demo?.dispose();
  });

  const allocations = async (params: Omit<GenerationParams, keyof typeof base | 'steps'>, steps: number): Promise<number> => {
    let stepsRun = 0;
    const { count } = await countTypedArrayAllocations(() => pipeline.generate(demo.epsilon, { ...base, ...params, steps }, { onStep: () => stepsRun++ }));
    assert.ok(stepsRun > 0);
    return count;
  };

  const modes: Array<{ name: string; params: Omit<GenerationParams, keyof typeof base | 'steps'> }> = [
    { name: 'text-to-image', params: {} },
    { name: 'img2img', params: { initImage: blockPattern(SIZE, SIZE, 3), strength: 0.6 } },
    { name: 'latent-mask inpainting', params: { initImage: blockPattern(SIZE, SIZE, 4), strength: 0.8, maskImage: maskImage(SIZE, SIZE, (x) => (x >= SIZE / 2 ? 1 : 0)) } },
  ];

  for (const mode of modes) {
    it(`${mode.name}: every sampler allocates the same for 2N steps as for N`, async () => {
      for (const definition of SCHEDULERS) {
        const [short, long] = definition.id === 'lcm' ? [4, 8] : [6, 12];
        // The first generation of a sampler warms lazily created module state; count from the second.
        await allocations({ ...mode.params, scheduler: definition.id }, short);
        const few = await allocations({ ...mode.params, scheduler: definition.id }, short);
        const many = await allocations({ ...mode.params, scheduler: definition.id }, long);
        assert.equal(many, few, `${definition.id}: ${short} steps allocated ${few} typed arrays, ${long} steps ${many}`);
      }
    });
  }
});
