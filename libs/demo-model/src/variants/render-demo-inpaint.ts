import { NEUTRAL_CONDITIONING } from '../conditioning.js';
import { demoSignedTarget, upsampleBilinear, type DemoImage, type RenderDemoTargetOptions } from '../render-demo-target.js';
import { VAE_DOWNSCALE } from '../vae-graphs.js';

/** A single-channel mask, row-major [height, width], values in [0, 1], 1 = repaint. */
export interface DemoMask {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export interface RenderDemoInpaintOptions extends RenderDemoTargetOptions {
  /**
   * The mask channel the pipeline feeds the UNet ([h/8, w/8]). Default: diffusers'
   * StableDiffusionInpaintPipeline, i.e. the mask binarised at 0.5 and resized with `nearest`
   * (the top-left pixel of each 8 × 8 block).
   */
  readonly latentMask?: Float32Array;
  /** Blend the original back in, m · generated + (1 − m) · original per pixel (default false: raw decoder output). */
  readonly composite?: boolean;
}

const binarize = (mask: DemoMask): Float32Array => mask.data.map((m) => (m >= 0.5 ? 1 : 0));

/** 2·rgb − 1 of `image` where the binarised mask is 0, else 0 (diffusers' image * (mask < 0.5)), 8 × 8 averaged. */
function maskedImageLatent(image: DemoImage, binary: Float32Array): Float32Array {
  const { width, height } = image;
  const [latentWidth, latentHeight] = [width / VAE_DOWNSCALE, height / VAE_DOWNSCALE];
  const out = new Float32Array(3 * latentWidth * latentHeight);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const keep = binary[y * width + x] < 0.5 ? 1 : 0;
        const latentIndex = (c * latentHeight + Math.floor(y / VAE_DOWNSCALE)) * latentWidth + Math.floor(x / VAE_DOWNSCALE);
        out[latentIndex] += keep * (2 * image.data[(c * height + y) * width + x] - 1);
      }
    }
  }
  return out.map((sum) => sum / (VAE_DOWNSCALE * VAE_DOWNSCALE));
}

/**
 * What the demo inpainting variant paints with an exact sampler: x0 = m · guided target +
 * (1 − m) · masked-image latent at latent resolution (m the mask channel), decoded like
 * renderDemoTarget. Inside the mask that is the prompt's picture, outside it the VAE round trip
 * of the original (the original itself wherever it is flat over the neighbouring 8 × 8 blocks).
 */
export function renderDemoInpaint(prompt: string, image: DemoImage, mask: DemoMask, options: RenderDemoInpaintOptions = {}): DemoImage {
  const { width, height } = image;
  if (width % VAE_DOWNSCALE !== 0 || height % VAE_DOWNSCALE !== 0) throw new Error(`demo images need sizes that are multiples of ${VAE_DOWNSCALE}`);
  if (mask.width !== width || mask.height !== height) throw new Error('the mask must have the image size');
  const [latentWidth, latentHeight] = [width / VAE_DOWNSCALE, height / VAE_DOWNSCALE];
  const plane = latentWidth * latentHeight;
  const binary = binarize(mask);
  const latentMask =
    options.latentMask ??
    Float32Array.from({ length: plane }, (_, i) => binary[Math.floor(i / latentWidth) * VAE_DOWNSCALE * width + (i % latentWidth) * VAE_DOWNSCALE]);
  if (latentMask.length !== plane) throw new Error(`latentMask needs ${plane} values`);

  const guidance = options.guidanceScale ?? 1;
  const conditional = demoSignedTarget(prompt, latentWidth, latentHeight);
  const unconditional = demoSignedTarget(options.negativePrompt ?? NEUTRAL_CONDITIONING, latentWidth, latentHeight);
  const kept = maskedImageLatent(image, binary);
  const x0 = kept.map((keptValue, i) => {
    const m = latentMask[i % plane];
    const painted = unconditional[i] + guidance * (conditional[i] - unconditional[i]);
    return m * painted + (1 - m) * keptValue;
  });
  const decoded = upsampleBilinear(x0, 3, latentWidth, latentHeight, VAE_DOWNSCALE).map((x) => Math.min(Math.max(x / 2 + 0.5, 0), 1));
  if (options.composite) {
    const pixels = width * height;
    for (let i = 0; i < decoded.length; i++) {
      const m = mask.data[i % pixels];
      decoded[i] = m * decoded[i] + (1 - m) * image.data[i];
    }
  }
  return { width, height, data: decoded };
}
