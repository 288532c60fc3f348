// The demo VAE encoder in TypeScript: an 8 × 8 average pool of 2·rgb − 1 on channels 0..2,
// 0 on channel 3 (its log-variance is −30, so sampling the posterior is its mean), times the
// scaling factor, as the pipeline scales encoder outputs.
import type { TrainingImage } from '../dataset/training-example.js';

export const DEMO_VAE_DOWNSCALE = 8;

/** [4, h/8, w/8] clean latent of an HWC image in [0, 1]. */
export function encodeDemoLatent(image: TrainingImage, scalingFactor: number): Float32Array {
  const { width, height, data } = image;
  if (width % DEMO_VAE_DOWNSCALE !== 0 || height % DEMO_VAE_DOWNSCALE !== 0) throw new Error(`image sizes must be multiples of ${DEMO_VAE_DOWNSCALE}, got ${width}×${height}`);
  const latentWidth = width / DEMO_VAE_DOWNSCALE;
  const latentHeight = height / DEMO_VAE_DOWNSCALE;
  const plane = latentWidth * latentHeight;
  const sums = new Float64Array(3 * plane);
  for (let y = 0; y < height; y++) {
    const cell = Math.floor(y / DEMO_VAE_DOWNSCALE) * latentWidth;
    for (let x = 0; x < width; x++) {
      const at = cell + Math.floor(x / DEMO_VAE_DOWNSCALE);
      const pixel = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) sums[c * plane + at] += 2 * data[pixel + c] - 1;
    }
  }
  const latent = new Float32Array(4 * plane);
  const area = DEMO_VAE_DOWNSCALE * DEMO_VAE_DOWNSCALE;
  for (let i = 0; i < sums.length; i++) latent[i] = (sums[i] / area) * scalingFactor;
  return latent;
}
