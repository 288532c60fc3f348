import type { LoadedModel } from '../models/loaded-model.js';
import type { RgbImage } from './images.js';
import type { GenerationHooks, GenerationParams, GenerationResult, StableDiffusionPipeline } from './stable-diffusion.js';

/** How the first pass is enlarged: A1111's "Latent" (bilinear) and "Latent (nearest)" modes, or an image upscaler. */
export type HiresUpscaler = 'latent' | 'latent-nearest' | { readonly upscaleImage: (image: RgbImage, width: number, height: number) => Promise<RgbImage> };

export interface HiresFix {
  /** Second pass size (multiples of the VAE scale factor). */
  readonly width: number;
  readonly height: number;
  readonly upscaler: HiresUpscaler;
  /** Denoising strength of the second pass. */
  readonly strength: number;
  /** Steps of the second pass's schedule (of which `strength` runs). */
  readonly steps: number;
}

/**
 * Resizes NCHW latents as torch's `F.interpolate` does (what A1111's latent upscale modes call):
 * `bilinear` with align_corners=False (half-pixel centres, edge clamped, no antialias), or
 * `nearest` (source index ⌊dst · in/out⌋).
 */
export function resizeLatents(latents: Float32Array, dims: { batch: number; channels: number; height: number; width: number }, height: number, width: number, mode: 'bilinear' | 'nearest'): Float32Array {
  const { batch, channels } = dims;
  const out = new Float32Array(batch * channels * height * width);
  const scaleY = dims.height / height;
  const scaleX = dims.width / width;
  const source = (dst: number, scale: number, size: number): [number, number, number] => {
    const at = Math.max(0, (dst + 0.5) * scale - 0.5);
    const low = Math.min(Math.floor(at), size - 1);
    const high = Math.min(low + 1, size - 1);
    return [low, high, at - low];
  };
  for (let plane = 0; plane < batch * channels; plane++) {
    const from = plane * dims.height * dims.width;
    const to = plane * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (mode === 'nearest') {
          const sy = Math.min(Math.floor(y * scaleY), dims.height - 1);
          const sx = Math.min(Math.floor(x * scaleX), dims.width - 1);
          out[to + y * width + x] = latents[from + sy * dims.width + sx];
          continue;
        }
        const [y0, y1, fy] = source(y, scaleY, dims.height);
        const [x0, x1, fx] = source(x, scaleX, dims.width);
        const top = latents[from + y0 * dims.width + x0] * (1 - fx) + latents[from + y0 * dims.width + x1] * fx;
        const bottom = latents[from + y1 * dims.width + x0] * (1 - fx) + latents[from + y1 * dims.width + x1] * fx;
        out[to + y * width + x] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/** Steps the second pass runs: img2img's ⌊steps · strength⌋. */
function secondPassSteps(hires: HiresFix): number {
  return Math.min(Math.floor(hires.steps * hires.strength), hires.steps);
}

/**
 * A1111's hires fix: generate at the base size, enlarge (latents resized, or decoded → upscaler
 * model → img2img's VAE encode), then img2img at the larger size with `strength` and the same
 * seeds. Progress runs over both passes; the result's images are the second pass's, its stats
 * the sum of both.
 */
export async function generateWithHiresFix(pipeline: StableDiffusionPipeline, model: LoadedModel, params: GenerationParams, hires: HiresFix, hooks: GenerationHooks = {}): Promise<GenerationResult> {
  const second = secondPassSteps(hires);
  let firstTotal = 0;
  const latentMode = hires.upscaler === 'latent' || hires.upscaler === 'latent-nearest';
  const first = await pipeline.generate(model, { ...params, keepLatents: latentMode }, {
    signal: hooks.signal,
    onStep: (step, total) => {
      firstTotal = total;
      hooks.onStep?.(step, total + second);
    },
  });
  const scale = model.folder.vaeScaleFactor;
  const secondParams: GenerationParams = { ...params, width: hires.width, height: hires.height, steps: hires.steps, strength: hires.strength, keepLatents: false };
  let input: Pick<GenerationParams, 'initLatents' | 'initImage'>;
  if (hires.upscaler === 'latent' || hires.upscaler === 'latent-nearest') {
    const perImage = first.images.map((image) => image.latents ?? new Float32Array(0));
    const joined = new Float32Array(perImage.reduce((sum, latents) => sum + latents.length, 0));
    perImage.reduce((offset, latents) => (joined.set(latents, offset), offset + latents.length), 0);
    const dims = { batch: perImage.length, channels: 4, height: params.height / scale, width: params.width / scale };
    input = { initLatents: resizeLatents(joined, dims, hires.height / scale, hires.width / scale, hires.upscaler === 'latent' ? 'bilinear' : 'nearest') };
  } else {
    // One init image per pass: a batch of several images with an upscaler runs image by image.
    if (first.images.length !== 1) return hiresImageByImage(pipeline, model, params, hires, hooks, first, firstTotal);
    const image = first.images[0];
    input = { initImage: await hires.upscaler.upscaleImage({ width: image.width, height: image.height, data: image.pixels }, hires.width, hires.height) };
  }
  const result = await pipeline.generate(model, { ...secondParams, ...input }, { signal: hooks.signal, onStep: (step, total) => hooks.onStep?.(firstTotal + step, firstTotal + total) });
  return merged(first, result);
}

async function hiresImageByImage(
  pipeline: StableDiffusionPipeline,
  model: LoadedModel,
  params: GenerationParams,
  hires: HiresFix,
  hooks: GenerationHooks,
  first: GenerationResult,
  firstTotal: number,
): Promise<GenerationResult> {
  const upscaler = hires.upscaler as Exclude<HiresUpscaler, string>;
  const count = first.images.length;
  let result: GenerationResult | undefined;
  const images = [];
  for (const [index, image] of first.images.entries()) {
    const initImage = await upscaler.upscaleImage({ width: image.width, height: image.height, data: image.pixels }, hires.width, hires.height);
    const pass = await pipeline.generate(
      model,
      { ...params, seeds: [image.seed], width: hires.width, height: hires.height, steps: hires.steps, strength: hires.strength, keepLatents: false, initImage },
      { signal: hooks.signal, onStep: (step, total) => hooks.onStep?.(firstTotal + index * total + step, firstTotal + count * total) },
    );
    images.push(...pass.images);
    result = result ? merged(result, pass) : pass;
  }
  return { ...merged(first, result as GenerationResult), images };
}

function merged(first: GenerationResult, second: GenerationResult): GenerationResult {
  const a = first.stats;
  const b = second.stats;
  return {
    ...second,
    stats: {
      ...b,
      steps: a.steps + b.steps,
      loopMs: a.loopMs + b.loopMs,
      unetMs: a.unetMs + b.unetMs,
      conditioningMs: a.conditioningMs + b.conditioningMs,
      encodeMs: a.encodeMs + b.encodeMs,
      decodeMs: a.decodeMs + b.decodeMs,
    },
  };
}
