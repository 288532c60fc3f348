// What the model with the current LoRA draws for a prompt: the demo UNet is an exact denoiser, so
// any correct sampler ends on its clean latent, and the demo VAE decoder is a bilinear 8× upsample.
import { upsampleBilinear } from '@atelier/demo-model';
import type { TrainingImage } from '../dataset/training-example.js';
import { DEMO_VAE_DOWNSCALE } from './latent-encoding.js';

export function decodeDemoLatent(latent: Float32Array, latentWidth: number, latentHeight: number, scalingFactor: number): TrainingImage {
  const plane = latentWidth * latentHeight;
  const signed = Float32Array.from({ length: 3 * plane }, (_, i) => latent[i] / scalingFactor);
  const planar = upsampleBilinear(signed, 3, latentWidth, latentHeight, DEMO_VAE_DOWNSCALE);
  const width = latentWidth * DEMO_VAE_DOWNSCALE;
  const height = latentHeight * DEMO_VAE_DOWNSCALE;
  const pixels = width * height;
  const data = new Float32Array(3 * pixels);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.min(Math.max(planar[c * pixels + i] / 2 + 0.5, 0), 1);
  }
  return { width, height, data };
}
