/**
 * Acceptance: image-to-image and latent-mask inpainting through the real pipeline on the demo
 * model (exact denoiser, VAE = 8×8 average pool / bilinear 8× upsample; see testing/demo-oracle.ts
 * for the independent TypeScript oracles used here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_SCALING_FACTOR, renderDemoTarget } from '@atelier/demo-model';
import { SessionPool } from '../runtime/session-pool.js';
import { SCHEDULERS } from '../schedulers/index.js';
import type { RgbImage } from './images.js';
import { StableDiffusionPipeline, type GenerationParams } from './stable-diffusion.js';
import {
  ENDS_AT_SIGMA_MIN,
  blockPattern,
  demoDecode,
  demoEncode,
  demoVaeRoundTrip,
  guidedTargetLatent,
  maskImage,
  maxAbsDiff,
  openDemoModels,
  planarToHwc,
  type DemoModels,
} from './testing/demo-oracle.js';
import { inputDims, spyOnSession, type SessionSpy } from './testing/session-spy.js';

const PROMPT = 'a red circle on a blue background';
const SIZE = 64;
const LATENT = SIZE / 8;
const STEPS = 20;
const GUIDANCE = 7.5;
/**
 * The VAE round trip in the pipeline is ORT's float32 average pool, ×scaling then ÷scaling in
 * float32, ORT's Resize and the clamp: a handful of float32 roundings of values ≤ 1, i.e. a few
 * ulps of 1.2e-7 (measured ≤ 3.6e-7 over 24 patterns). 2e-6 is still 2000× below one 8-bit grey level.
 */
const ROUND_TRIP_ERROR = 2e-6;
/** Same bound as the sampler oracle (acceptance-oracle.test.ts explains it). */
const SAMPLER_ERROR = 1e-4;

describe('acceptance: img2img and inpainting on the demo model', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let demo: DemoModels;
  let unet: SessionSpy;
  const target = planarToHwc(renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: GUIDANCE }).data, SIZE, SIZE);
  const base = { prompt: PROMPT, negativePrompt: '', steps: STEPS, guidanceScale: GUIDANCE, width: SIZE, height: SIZE } as const;

  before(async () => {
    demo = await openDemoModels();
    unet = await spyOnSession(pool, demo.epsilon.folder.components.unet);
  });
  after(async () => {
    unet?.restore();
    await pool.close();
    await demo?.dispose();
  });

  const generate = async (params: Partial<GenerationParams>, onStep?: (step: number, total: number) => void) => {
    unet.clear();
    return pipeline.generate(demo.epsilon, { ...base, seeds: [3], ...params }, { onStep });
  };

  it('strength 0 returns the input up to the VAE round trip, for every sampler, without evaluating the UNet', async () => {
    // Constant on 16×16 squares: the encoder is exact, and inside each square the decoder's
    // bilinear taps stay in the square, so there the round trip is the identity.
    const input = blockPattern(SIZE, SIZE, 5, 16);
    const roundTrip = demoVaeRoundTrip(input);
    assert.ok(maxAbsDiff(roundTrip, input.data) > 0.01, 'the pattern has edges the VAE blurs (else this proves little)');
    const exactPixels: number[] = [];
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) if (x % 16 >= 4 && x % 16 < 12 && y % 16 >= 4 && y % 16 < 12) exactPixels.push(y * SIZE + x);

    for (const scheduler of [undefined, ...SCHEDULERS.map((s) => s.label)]) {
      const name = scheduler ?? `model default (${demo.epsilon.defaultScheduler.id})`;
      const steps: number[] = [];
      const result = await generate({ scheduler, seeds: [3, 4], initImage: input, strength: 0 }, (step) => steps.push(step));
      assert.equal(unet.runs.length, 0, `${name}: strength 0 ran ${unet.runs.length} UNet evaluations`);
      assert.deepEqual(steps, [], `${name}: progress reported steps at strength 0`);
      assert.equal(result.stats.steps, 0, name);
      for (const image of result.images) {
        const error = maxAbsDiff(image.pixels, roundTrip);
        assert.ok(error <= ROUND_TRIP_ERROR, `${name}, seed ${image.seed}: ${error} from decode(encode(input))`);
        let inside = 0;
        for (const p of exactPixels) for (let c = 0; c < 3; c++) inside = Math.max(inside, Math.abs(image.pixels[p * 3 + c] - input.data[p * 3 + c]));
        assert.ok(inside <= ROUND_TRIP_ERROR, `${name}: ${inside} from the input where the VAE is exact`);
      }
    }
  });

  it('strength 1 ignores the input: the txt2img picture for the same seed, after the full schedule', async () => {
    // On the exact-denoiser demo every start at σ_max ends on the prompt's picture, so this proves
    // that strength 1 runs the whole schedule and that nothing of the input survives it. (On a
    // real model diffusers' img2img still starts from add_noise(init, noise, t_max), which keeps
    // √ᾱ_max·init, so bit-equality with txt2img is not a diffusers property.)
    const inputs: RgbImage[] = [blockPattern(SIZE, SIZE, 11), blockPattern(SIZE, SIZE, 12, 32)];
    for (const scheduler of ['Euler', 'Euler a', 'DPM++ 2M Karras']) {
      const txt2img = await generate({ scheduler, seeds: [21] });
      assert.equal(unet.runs.length, STEPS, `${scheduler}: txt2img evaluations`);
      assert.ok(maxAbsDiff(txt2img.images[0].pixels, target) <= SAMPLER_ERROR, `${scheduler}: txt2img is the picture`);
      for (const [index, input] of inputs.entries()) {
        const img2img = await generate({ scheduler, seeds: [21], initImage: input, strength: 1 });
        assert.equal(unet.runs.length, STEPS, `${scheduler}: strength 1 must run all ${STEPS} steps`);
        assert.equal(img2img.stats.steps, STEPS);
        const error = maxAbsDiff(img2img.images[0].pixels, txt2img.images[0].pixels);
        assert.ok(error <= SAMPLER_ERROR, `${scheduler}, input ${index}: ${error} from txt2img`);
      }
    }
  });

  it('strength s runs the last floor(steps·s) steps and still lands on the picture', async () => {
    const input = blockPattern(SIZE, SIZE, 13);
    for (const [strength, expected] of [
      [0.5, 10],
      [0.75, 15],
      [0.04, 0],
      [0.05, 1],
    ] as const) {
      const totals = new Set<number>();
      const result = await generate({ scheduler: 'Euler', initImage: input, strength }, (_step, total) => totals.add(total));
      assert.equal(unet.runs.length, expected, `strength ${strength}: UNet evaluations`);
      if (expected > 0) {
        assert.deepEqual([...totals], [expected], `strength ${strength}: progress total`);
        assert.ok(maxAbsDiff(result.images[0].pixels, target) <= SAMPLER_ERROR, `strength ${strength}: lands on the picture`);
      } else {
        assert.ok(maxAbsDiff(result.images[0].pixels, demoVaeRoundTrip(input)) <= ROUND_TRIP_ERROR, `strength ${strength}: unchanged`);
      }
    }
  });

  /** Expected inpainting result: latents = init where the latent mask is 0, guided target where 1. */
  function expectedInpaint(input: RgbImage, latentMasked: (column: number) => boolean): Float32Array {
    const known = demoEncode(input);
    const wanted = guidedTargetLatent(PROMPT, '', GUIDANCE, LATENT, LATENT);
    const signed = new Float64Array(3 * LATENT * LATENT);
    for (let i = 0; i < signed.length; i++) signed[i] = latentMasked(i % LATENT) ? wanted[i] / DEMO_SCALING_FACTOR : known[i];
    return demoDecode(signed, LATENT, LATENT);
  }

  for (const strength of [1, 0.75]) {
    it(`inpainting, strength ${strength}, every sampler: unmasked pixels are the input exactly, masked ones the prompt's picture`, async () => {
      const input = blockPattern(SIZE, SIZE, 17);
      const mask = maskImage(SIZE, SIZE, (x) => (x >= SIZE / 2 ? 1 : 0));
      const expected = expectedInpaint(input, (column) => column >= LATENT / 2);
      const failures: string[] = [];
      for (const definition of SCHEDULERS) {
        const steps = definition.id === 'lcm' ? 4 : STEPS;
        const result = await generate({ scheduler: definition.id, steps, seeds: [8, 9], initImage: input, maskImage: mask, strength });
        assert.equal(unet.runs.length, result.stats.steps, `${definition.label}: UNet evaluations`);
        assert.ok(unet.runs.length > 0, `${definition.label}: strength ${strength} ran no step`);
        assert.deepEqual(inputDims(unet.runs[0], 'sample'), [4, 4, LATENT, LATENT], 'ordinary 4-channel UNet, CFG batch of 2 images');
        for (const image of result.images) {
          let changed = 0;
          let maskedError = 0;
          let pictureError = 0;
          let moved = 0;
          for (let y = 0; y < SIZE; y++) {
            for (let x = 0; x < SIZE; x++) {
              for (let c = 0; c < 3; c++) {
                const i = (y * SIZE + x) * 3 + c;
                if (x < SIZE / 2) {
                  if (image.pixels[i] !== input.data[i]) changed++;
                } else {
                  moved = Math.max(moved, Math.abs(image.pixels[i] - input.data[i]));
                  maskedError = Math.max(maskedError, Math.abs(image.pixels[i] - expected[i]));
                  // Half a latent cell from the edge the decoder no longer mixes in the kept latents.
                  if (x >= SIZE / 2 + 4) pictureError = Math.max(pictureError, Math.abs(image.pixels[i] - target[i]));
                }
              }
            }
          }
          const label = `${definition.label}, seed ${image.seed}`;
          if (changed !== 0) failures.push(`${label}: ${changed} unmasked values differ from the input`);
          if (!(moved > 0.1)) failures.push(`${label}: the masked half did not change`);
          // Samplers that stop at σ(0) keep ≈0.2 of noise in the masked half (see ENDS_AT_SIGMA_MIN).
          if (ENDS_AT_SIGMA_MIN.has(definition.id)) continue;
          if (!(maskedError <= SAMPLER_ERROR)) failures.push(`${label}: masked half is ${maskedError} from decode(init | picture)`);
          if (!(pictureError <= SAMPLER_ERROR)) failures.push(`${label}: masked half is ${pictureError} from the prompt's picture`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  it('inpainting with a mask not aligned to latent cells still keeps every unmasked pixel exactly', async () => {
    const input = blockPattern(SIZE, SIZE, 19);
    const edge = 28;
    const mask = maskImage(SIZE, SIZE, (x) => (x >= edge ? 1 : 0));
    const result = await generate({ scheduler: 'Euler', initImage: input, maskImage: mask, strength: 1 });
    const pixels = result.images[0].pixels;
    let changed = 0;
    let pictureError = 0;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        for (let c = 0; c < 3; c++) {
          const i = (y * SIZE + x) * 3 + c;
          if (x < edge && pixels[i] !== input.data[i]) changed++;
          // Latent column 3 is half masked; from x = 40 on the decoder reads only columns ≥ 4.
          if (x >= 40) pictureError = Math.max(pictureError, Math.abs(pixels[i] - target[i]));
        }
      }
    }
    assert.equal(changed, 0, `${changed} unmasked values differ from the input`);
    assert.ok(pictureError <= SAMPLER_ERROR, `fully masked columns are ${pictureError} from the picture`);
    assert.ok(maxAbsDiff(pixels.subarray(edge * 3, SIZE * 3), input.data.subarray(edge * 3, SIZE * 3)) > 0.1, 'masked pixels changed');
  });
});
