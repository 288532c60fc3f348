import { NEUTRAL_CONDITIONING, parseDemoPrompt, type DemoConditioning } from './conditioning.js';
import { DEMO_SCALING_FACTOR } from './noise-schedule.js';
import { FLOAT32_ALGEBRA, SHAPE_MASKS, centredCoordinate, shapePoint } from './shape-geometry.js';
import { VAE_DOWNSCALE } from './vae-graphs.js';

/** An RGB picture, planar [3, height, width], values in [0, 1]. */
export interface DemoImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface RenderDemoTargetOptions {
  /** Classifier-free guidance scale the pipeline used (default 1: no guidance). */
  readonly guidanceScale?: number;
  /** Negative prompt (default ""): the unconditional branch guidance pushes away from. */
  readonly negativePrompt?: string | DemoConditioning;
}

const asConditioning = (prompt: string | DemoConditioning): DemoConditioning =>
  typeof prompt === 'string' ? parseDemoPrompt(prompt) : prompt;

/** 2·rgb − 1 of the target, [3, h, w] at latent resolution, evaluated exactly as the UNet does. */
export function demoSignedTarget(prompt: string | DemoConditioning, width: number, height: number): Float32Array {
  const conditioning = asConditioning(prompt);
  const out = new Float32Array(3 * width * height);
  const minSide = Math.min(width, height);
  const signed = (rgb: readonly number[]): number[] => rgb.map((c) => Math.fround(2 * c - 1));
  const shapeColour = signed(conditioning.shapeColour);
  const backgroundColour = signed(conditioning.backgroundColour);
  for (let y = 0; y < height; y++) {
    const v = centredCoordinate(y, height, minSide);
    for (let x = 0; x < width; x++) {
      const point = shapePoint(FLOAT32_ALGEBRA, centredCoordinate(x, width, minSide), v);
      const inside = conditioning.shapes.some((shape) => SHAPE_MASKS[shape](FLOAT32_ALGEBRA, point));
      const colour = inside ? shapeColour : backgroundColour;
      for (let c = 0; c < 3; c++) out[(c * height + y) * width + x] = colour[c];
    }
  }
  return out;
}

/**
 * The clean latent x0 the demo UNet denoises towards, [4, h, w], scaling factor included
 * (SD 1.x's by default; the SDXL variants use 0.13025).
 */
export function demoTargetLatent(
  prompt: string | DemoConditioning,
  latentWidth: number,
  latentHeight: number,
  scalingFactor: number = DEMO_SCALING_FACTOR,
): Float32Array {
  const signed = demoSignedTarget(prompt, latentWidth, latentHeight);
  const latent = new Float32Array(4 * latentWidth * latentHeight);
  const scaling = Math.fround(scalingFactor);
  for (let i = 0; i < signed.length; i++) latent[i] = Math.fround(signed[i] * scaling);
  return latent;
}

/** Bilinear half_pixel upsampling by an integer factor with edge clamping, as ONNX Resize does. */
export function upsampleBilinear(planes: Float32Array, channels: number, width: number, height: number, factor: number): Float32Array {
  const taps = (size: number, index: number): [number, number, number] => {
    const source = Math.min(Math.max((index + 0.5) / factor - 0.5, 0), size - 1);
    const low = Math.floor(source);
    return [low, Math.min(low + 1, size - 1), source - low];
  };
  const outWidth = width * factor;
  const outHeight = height * factor;
  const out = new Float32Array(channels * outWidth * outHeight);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outHeight; y++) {
      const [y0, y1, fy] = taps(height, y);
      for (let x = 0; x < outWidth; x++) {
        const [x0, x1, fx] = taps(width, x);
        const at = (yy: number, xx: number): number => planes[(c * height + yy) * width + xx];
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(c * outHeight + y) * outWidth + x] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/**
 * The picture an exact sampler produces with the demo model for `prompt` at width × height
 * (multiples of 8): guided target at latent resolution, VAE-decoded (bilinear 8×), mapped with
 * x/2 + 0.5 and clamped, as the pipeline does.
 */
export function renderDemoTarget(
  prompt: string | DemoConditioning,
  width: number,
  height: number,
  options: RenderDemoTargetOptions = {},
): DemoImage {
  if (width % VAE_DOWNSCALE !== 0 || height % VAE_DOWNSCALE !== 0) throw new Error(`demo images need sizes that are multiples of ${VAE_DOWNSCALE}`);
  const latentWidth = width / VAE_DOWNSCALE;
  const latentHeight = height / VAE_DOWNSCALE;
  const guidance = options.guidanceScale ?? 1;
  const conditional = demoSignedTarget(prompt, latentWidth, latentHeight);
  const unconditional = demoSignedTarget(options.negativePrompt ?? NEUTRAL_CONDITIONING, latentWidth, latentHeight);
  const guided = conditional.map((c, i) => unconditional[i] + guidance * (c - unconditional[i]));
  const decoded = upsampleBilinear(guided, 3, latentWidth, latentHeight, VAE_DOWNSCALE);
  return { width, height, data: decoded.map((x) => Math.min(Math.max(x / 2 + 0.5, 0), 1)) };
}

/** Interleaved 8-bit RGB (row-major, 3 bytes per pixel), e.g. for PNG comparisons. */
export function demoImageToRgb8(image: DemoImage): Uint8Array {
  const plane = image.width * image.height;
  const out = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round(image.data[c * plane + i] * 255);
  }
  return out;
}
