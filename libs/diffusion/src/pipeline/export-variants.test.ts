import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDemoVariant, renderDemoInpaint, renderDemoTarget, type DemoImage, type DemoVariant } from '@atelier/demo-model';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool } from '../runtime/session-pool.js';
import type { RgbImage } from './images.js';
import { StableDiffusionPipeline, type GenerationParams } from './stable-diffusion.js';

const PROMPT = 'a red circle on a blue background';
const SIZE = 64;

/** Largest difference between the pipeline's HWC output and a planar [3,H,W] reference. */
function maxDiff(pixels: Float32Array, reference: DemoImage): number {
  const plane = reference.width * reference.height;
  let worst = 0;
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(pixels[i * 3 + c] - reference.data[c * plane + i]));
  return worst;
}

/*
 * Schedulers here end at σ = 0 (Euler, DPM++ 2M): DDIM and PNDM with SD's `set_alpha_to_one:
 * false` stop at ᾱ(0) and keep √(1−ᾱ0) ≈ 3 % of the initial noise, as diffusers does, so they
 * cannot be compared to the clean picture exactly.
 */
describe('every export layout runs through the same pipeline and lands on the exact picture', () => {
  let root: string;
  const models = new Map<DemoVariant, LoadedModel>();
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'variants-'));
    for (const variant of ['sdxl', 'sdxl-refiner', 'inpaint', 'lcm', 'fp16', 'wild-sd15'] as const) {
      const info = await buildDemoVariant(path.join(root, variant), variant, { sampleSize: 8 });
      models.set(variant, await LoadedModel.open(await readModelFolder(info.dir, variant)));
    }
  });
  after(async () => {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  });

  const generate = async (variant: DemoVariant, overrides: Partial<GenerationParams> = {}): Promise<Float32Array> => {
    const model = models.get(variant);
    assert.ok(model);
    const result = await pipeline.generate(model, {
      prompt: PROMPT,
      negativePrompt: '',
      steps: 20,
      guidanceScale: 5,
      width: SIZE,
      height: SIZE,
      seeds: [11],
      ...overrides,
    });
    return result.images[0].pixels;
  };

  it('detects each family from the files', () => {
    assert.equal(models.get('sdxl')?.family, 'sdxl');
    assert.equal(models.get('sdxl-refiner')?.family, 'sdxl-refiner');
    assert.equal(models.get('inpaint')?.summary().inpainting, true);
    assert.equal(models.get('wild-sd15')?.family, 'sd1');
    assert.equal(models.get('sdxl')?.folder.vaeScalingFactor, 0.13025);
  });

  it('SDXL: two encoders, penultimate states, text_embeds and time_ids, zeroed empty negative', async () => {
    const error = maxDiff(await generate('sdxl', { scheduler: 'Euler' }), renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 5 }));
    assert.ok(error < 1e-3, `max error ${error}`);
  });

  it('SDXL base + refiner split at high_noise_fraction (aesthetic-score time ids)', async () => {
    const refiner = models.get('sdxl-refiner');
    assert.ok(refiner);
    const error = maxDiff(
      await generate('sdxl', { scheduler: 'Euler', refiner: { model: refiner, highNoiseFraction: 0.8 } }),
      renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 5 }),
    );
    assert.ok(error < 1e-3, `max error ${error}`);
  });

  it('SDXL refiner alone (encoder 2 only, 5 time ids)', async () => {
    const error = maxDiff(await generate('sdxl-refiner', { scheduler: 'DPM++ 2M', negativePrompt: 'blurry' }), renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 5, negativePrompt: 'blurry' }));
    assert.ok(error < 1e-3, `max error ${error}`);
  });

  it('inpainting UNet (9 channels): the prompt inside the mask, the original outside', async () => {
    const planar = new Float32Array(3 * SIZE * SIZE);
    const rgb = new Float32Array(3 * SIZE * SIZE);
    const maskData = new Float32Array(SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const colour = [1, 0.5, 0]; // orange
        for (let c = 0; c < 3; c++) {
          planar[(c * SIZE + y) * SIZE + x] = colour[c];
          rgb[(y * SIZE + x) * 3 + c] = colour[c];
        }
        maskData[y * SIZE + x] = x >= 32 ? 1 : 0;
      }
    }
    const image: RgbImage = { width: SIZE, height: SIZE, data: rgb };
    const pixels = await generate('inpaint', { scheduler: 'Euler', initImage: image, strength: 1, maskImage: { width: SIZE, height: SIZE, data: maskData } });
    const expected = renderDemoInpaint(PROMPT, { width: SIZE, height: SIZE, data: planar }, { width: SIZE, height: SIZE, data: maskData }, { guidanceScale: 5, composite: true });
    const error = maxDiff(pixels, expected);
    assert.ok(error < 1e-3, `max error ${error}`);
    assert.deepEqual(Array.from(pixels.subarray(0, 3)), [1, 0.5, 0], 'unmasked pixels are the input');
  });

  it('LCM: guidance embedding instead of the unconditional pass, 4 steps', async () => {
    const error = maxDiff(await generate('lcm', { scheduler: 'LCM', steps: 4, guidanceScale: 8 }), renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 8 }));
    assert.ok(error < 1e-3, `max error ${error}`);
  });

  it('fp16 export: float16 inputs, weights and outputs', async () => {
    // Inputs are quantised to float16 once per step (relative 2^-11); the 8-bit output tolerates it.
    const error = maxDiff(await generate('fp16', { scheduler: 'Euler' }), renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 5 }));
    assert.ok(error < 1e-2, `max error ${error}`);
  });

  it('odd real exports: int32 ids, int64 [batch] timestep, no config.json, sampled VAE latents', async () => {
    const error = maxDiff(await generate('wild-sd15', { scheduler: 'Euler' }), renderDemoTarget(PROMPT, SIZE, SIZE, { guidanceScale: 5 }));
    assert.ok(error < 1e-3, `max error ${error}`);
    const model = models.get('wild-sd15');
    assert.equal(model?.folder.vaeScalingFactor, 0.18215, 'Stable Diffusion default without config.json');
    const source: RgbImage = { width: SIZE, height: SIZE, data: new Float32Array(3 * SIZE * SIZE).fill(0.5) };
    const kept = await generate('wild-sd15', { initImage: source, strength: 0 });
    assert.ok(kept.every((value) => Math.abs(value - 0.5) < 1e-3), 'img2img through a latent_sample VAE encoder');
  });
});
