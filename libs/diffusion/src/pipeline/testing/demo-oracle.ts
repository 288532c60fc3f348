/**
 * Independent oracles for acceptance tests on the built-in demo models (libs/demo-model): the
 * demo UNet is an exact denoiser of the picture its prompt names, its VAE encoder is an 8×8
 * average pool of 2·rgb − 1 and its decoder a bilinear (half_pixel, edge-clamped) 8× upsample.
 * Everything here is plain TypeScript in double precision, written from those definitions, so a
 * pipeline result can be checked against it without going through the pipeline's own code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_SCALING_FACTOR, demoSigmaAt, demoTargetLatent, ensureDemoModels } from '@atelier/demo-model';
import { LoadedModel } from '../../models/loaded-model.js';
import { readModelFolder } from '../../models/model-folder.js';
import type { MaskImage, RgbImage } from '../images.js';

export const DEMO_DOWNSCALE = 8;

/**
 * Samplers whose last step lands on σ(t = 0) ≈ 0.029 instead of σ = 0 on the demo models, as in
 * diffusers: DDIM and PNDM step to ᾱ_prev = ᾱ₀ because the demo config has set_alpha_to_one
 * false, and DEIS always ends on σ_min. Their pictures keep that much latent noise (≈0.2 in
 * pixels), so they can only be compared with demoSamplerEndpoint, not with renderDemoTarget.
 */
export const ENDS_AT_SIGMA_MIN: ReadonlySet<string> = new Set(['ddim', 'pndm', 'deis']);

export interface DemoModels {
  /** demo-sd15: epsilon prediction. */
  readonly epsilon: LoadedModel;
  /** demo-sd15-refiner: the v_prediction twin. */
  readonly vPrediction: LoadedModel;
  readonly cacheDir: string;
  dispose(): Promise<void>;
}

/** Both demo models, built (≈0.2 s) into a private temporary folder that `dispose` removes. */
export async function openDemoModels(): Promise<DemoModels> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'atelier-acceptance-'));
  const dispose = (): Promise<void> => rm(cacheDir, { recursive: true, force: true });
  try {
    const entries = await ensureDemoModels(cacheDir);
    const open = async (id: string): Promise<LoadedModel> => {
      const entry = entries.find((candidate) => candidate.id === id);
      if (!entry) throw new Error(`ensureDemoModels did not build ${id}`);
      return LoadedModel.open(await readModelFolder(entry.dir, entry.id));
    };
    return { epsilon: await open('demo-sd15'), vPrediction: await open('demo-sd15-refiner'), cacheDir, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Deterministic standard-normal samples (mulberry32 + Box–Muller), independent of the pipeline's RNG. */
export function seededNormals(seed: number, count: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} ≠ ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return max;
}

/** Planar [3, h, w] (renderDemoTarget's layout) → interleaved HWC (the pipeline's layout). */
export function planarToHwc(planar: Float32Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = planar[c * plane + i];
  return out;
}

/**
 * The demo decoder on latents that are already divided by the scaling factor ([≥3, h, w], only
 * channels 0..2 used): bilinear half_pixel 8× upsample with edge clamping, then x/2 + 0.5
 * clamped to [0, 1]. Returns HWC.
 */
export function demoDecode(signed: ArrayLike<number>, latentWidth: number, latentHeight: number): Float32Array {
  const width = latentWidth * DEMO_DOWNSCALE;
  const height = latentHeight * DEMO_DOWNSCALE;
  const taps = (size: number, index: number): [number, number, number] => {
    const source = Math.min(Math.max((index + 0.5) / DEMO_DOWNSCALE - 0.5, 0), size - 1);
    const low = Math.floor(source);
    return [low, Math.min(low + 1, size - 1), source - low];
  };
  const out = new Float32Array(3 * width * height);
  for (let y = 0; y < height; y++) {
    const [y0, y1, fy] = taps(latentHeight, y);
    for (let x = 0; x < width; x++) {
      const [x0, x1, fx] = taps(latentWidth, x);
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number): number => signed[(c * latentHeight + yy) * latentWidth + xx];
        const value = (at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy;
        out[(y * width + x) * 3 + c] = Math.min(Math.max(value / 2 + 0.5, 0), 1);
      }
    }
  }
  return out;
}

/** The demo encoder's mean: 8×8 block average of 2·rgb − 1 per channel, [3, h/8, w/8] (unscaled). */
export function demoEncode(image: RgbImage): Float64Array {
  const latentWidth = image.width / DEMO_DOWNSCALE;
  const latentHeight = image.height / DEMO_DOWNSCALE;
  const out = new Float64Array(3 * latentWidth * latentHeight);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const cell = Math.floor(y / DEMO_DOWNSCALE) * latentWidth + Math.floor(x / DEMO_DOWNSCALE);
      for (let c = 0; c < 3; c++) out[c * latentWidth * latentHeight + cell] += (2 * image.data[(y * image.width + x) * 3 + c] - 1) / DEMO_DOWNSCALE ** 2;
    }
  }
  return out;
}

/** decode(encode(image)): what img2img at strength 0 must return, HWC. */
export function demoVaeRoundTrip(image: RgbImage): Float32Array {
  return demoDecode(demoEncode(image), image.width / DEMO_DOWNSCALE, image.height / DEMO_DOWNSCALE);
}

/** The guided clean latent an exact denoiser under CFG aims at: x0_u + g·(x0_c − x0_u), scaled, [4, h, w]. */
export function guidedTargetLatent(prompt: string, negativePrompt: string, guidanceScale: number, latentWidth: number, latentHeight: number): Float64Array {
  const conditional = demoTargetLatent(prompt, latentWidth, latentHeight);
  // guidance ≤ 1 runs no CFG at all (diffusers: do_classifier_free_guidance = guidance_scale > 1).
  if (guidanceScale <= 1) return Float64Array.from(conditional);
  const unconditional = demoTargetLatent(negativePrompt, latentWidth, latentHeight);
  return Float64Array.from(conditional, (c, i) => unconditional[i] + guidanceScale * (c - unconditional[i]));
}

export interface EndpointRequest {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly guidanceScale: number;
  readonly width: number;
  readonly height: number;
  /** The unit-variance initial latents the pipeline was given, [4, h, w] (one image). */
  readonly latents: Float32Array;
  /** The first timestep the sampler evaluates the UNet at (where the start noise sits). */
  readonly firstTimestep: number;
  /** σ the sampler ends on: 0 for most, σ(t = 0) for DDIM/PNDM (set_alpha_to_one false) and DEIS. */
  readonly endSigma: number;
}

/**
 * Where any correct sampler of the probability-flow ODE lands with an exact single-point
 * denoiser, as HWC pixels. In variance-exploding coordinates y = x·√(1 + σ²) the ODE is
 * dy/dσ = (y − x0)/σ, solved by y(σ) = x0 + σ·ε̂ with ε̂ constant; the start fixes
 * ε̂ = (y_T − x0)/σ_T where y_T = √(1 + σ_T²)·n (txt2img starts every sampler at the VP sample n,
 * whatever its init_noise_sigma convention). The endpoint x = (x0 + σ_end·ε̂)/√(1 + σ_end²) is
 * exactly x0 when σ_end = 0, i.e. renderDemoTarget's picture. Ancestral/SDE samplers land on the
 * same x0 only when σ_end = 0 (their injected noise is scaled away by the last step).
 */
export function demoSamplerEndpoint(request: EndpointRequest): Float32Array {
  const latentWidth = request.width / DEMO_DOWNSCALE;
  const latentHeight = request.height / DEMO_DOWNSCALE;
  const x0 = guidedTargetLatent(request.prompt, request.negativePrompt, request.guidanceScale, latentWidth, latentHeight);
  if (request.latents.length !== x0.length) throw new RangeError(`latents hold ${request.latents.length} values, expected ${x0.length}`);
  const sigmaT = demoSigmaAt(request.firstTimestep);
  const cT = Math.sqrt(1 + sigmaT * sigmaT);
  const sigmaEnd = request.endSigma;
  const cEnd = Math.sqrt(1 + sigmaEnd * sigmaEnd);
  const signed = Float64Array.from(x0, (target, i) => {
    const epsilon = (cT * request.latents[i] - target) / sigmaT;
    return (target + sigmaEnd * epsilon) / cEnd / DEMO_SCALING_FACTOR;
  });
  return demoDecode(signed, latentWidth, latentHeight);
}

/** An RGB image (HWC, [0, 1]) built pixel by pixel. */
export function rgbImage(width: number, height: number, colour: (x: number, y: number) => readonly [number, number, number]): RgbImage {
  const data = new Float32Array(3 * width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  }
  return { width, height, data };
}

/** A mask (white = repaint) built pixel by pixel. */
export function maskImage(width: number, height: number, value: (x: number, y: number) => number): MaskImage {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { width, height, data };
}

/**
 * A picture that is constant on each `block`×`block` square (a multiple of 8, so the demo encoder
 * loses nothing), with neighbouring squares of different colours and no value near 0 or 1 (so no
 * clamping hides errors).
 */
export function blockPattern(width: number, height: number, seed: number, block = DEMO_DOWNSCALE): RgbImage {
  if (block % DEMO_DOWNSCALE !== 0) throw new RangeError(`block ${block} is not a multiple of ${DEMO_DOWNSCALE}`);
  const blocksX = Math.ceil(width / block);
  const blocksY = Math.ceil(height / block);
  const values = seededNormals(seed, 3 * blocksX * blocksY).map((n) => 0.5 + 0.35 * Math.tanh(n));
  return rgbImage(width, height, (x, y) => {
    const at = (Math.floor(y / block) * blocksX + Math.floor(x / block)) * 3;
    return [values[at], values[at + 1], values[at + 2]];
  });
}
