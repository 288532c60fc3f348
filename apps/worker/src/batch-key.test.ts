import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESOLVED_GENERATION_VERSION, resolvedGenerationSchema, type ResolvedGeneration } from '@atelier/contracts';
import { batchKey } from './batch-key.js';

const BASE: ResolvedGeneration = resolvedGenerationSchema.parse({
  v: RESOLVED_GENERATION_VERSION,
  model: 'demo-sd15',
  prompt: 'a red circle',
  negative_prompt: '',
  style: 'base',
  styled: { prompt: 'a red circle', negative_prompt: '' },
  conditioning: { prompt: 'a red circle', negative_prompt: '' },
  samples: 1,
  scheduler: 'Euler',
  num_inference_steps: 20,
  guidance_scale: 7.5,
  strength: 0.8,
  high_noise_fraction: 0.8,
  seed: 1,
  width: 512,
  height: 512,
  refiner: false,
  loras: [],
  base64: false,
  mask_blur: 0,
  output_format: 'png',
  output_quality: 90,
});
const MAX = 4;
const key = (change: Partial<ResolvedGeneration>): string | undefined => batchKey({ ...BASE, ...change }, MAX);

describe('batchKey (which jobs may share one UNet batch)', () => {
  it('ignores what each request keeps to itself: prompts, style, seed, samples, output options, webhook', () => {
    const base = key({});
    assert.ok(base);
    for (const change of [
      { prompt: 'a green square' },
      { negative_prompt: 'blurry' },
      { style: 'photographic' },
      { conditioning: { prompt: 'a green square, photographic', negative_prompt: 'blurry' } },
      { seed: 99 },
      { samples: 3 },
      { output_format: 'webp' as const, output_quality: 50, base64: true },
      { webhook: { url: 'https://example.com/hook' } },
      { strength: 0.3, high_noise_fraction: 0.5 },
    ]) {
      assert.equal(key(change), base, JSON.stringify(change));
    }
  });

  it('separates what the shared UNet loop depends on: model, size, scheduler, steps, guidance, LoRAs', () => {
    const base = key({});
    for (const change of [
      { model: 'other' },
      { width: 768 },
      { height: 768 },
      { scheduler: 'DDIM' },
      { scheduler: undefined },
      { num_inference_steps: 21 },
      { guidance_scale: 7 },
      { loras: [{ name: 'ink', weight: 0.8 }] },
      { loras: [{ name: 'ink', weight: 1 }] },
    ]) {
      assert.notEqual(key(change), base, JSON.stringify(change));
    }
  });

  it('reads the resolved LoRA list only (prompt tags are already in it): order-free, weight 0 is none', () => {
    assert.equal(key({ loras: [{ name: 'a', weight: 1 }, { name: 'b', weight: 0.5 }] }), key({ loras: [{ name: 'b', weight: 0.5 }, { name: 'a', weight: 1 }] }));
    assert.equal(key({ prompt: 'a red circle <lora:ink:0.8>' }), key({}), 'a tag left in the written prompt is not read again');
    assert.equal(key({ loras: [{ name: 'ink', weight: 0 }] }), key({}));
  });

  it('jobs with ControlNets always run alone: their nets and control maps steer their own UNet calls', () => {
    const unit = { model: 'canny', image: 'data:image/png;base64,AAAA', preprocessor: 'canny' as const, preprocessor_options: {}, conditioning_scale: 1, guidance_start: 0, guidance_end: 1 };
    assert.equal(key({ controlnets: [unit] }), undefined);
    assert.equal(key({ controlnets: [unit, { ...unit, model: 'depth' }], guess_mode: true }), undefined);
    assert.ok(key({ controlnets: [] }), 'an empty list is no ControlNet');
  });

  it('image-to-image, inpainting, outpainting, refiner and full-batch requests always run alone', () => {
    for (const change of [
      { init_image: 'data:image/png;base64,AAAA' },
      { mask_image: 'data:image/png;base64,AAAA' },
      { outpaint: { left: 64, right: 0, top: 0, bottom: 0 } },
      { refiner: true },
      { samples: MAX },
    ]) {
      assert.equal(key(change as Partial<ResolvedGeneration>), undefined, JSON.stringify(change));
    }
    assert.ok(key({ samples: MAX - 1 }));
  });
});
