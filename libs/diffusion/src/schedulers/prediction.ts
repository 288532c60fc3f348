/**
 * Turning a model output into a prediction of the clean latent x₀ (or the noise ε), for the two
 * ways samplers parameterise the noisy sample. Each writes into `out` (which may alias neither
 * input unless noted) with the arithmetic of `combine`, so results are bit-identical to it.
 */
import type { PredictionType } from './scheduler.js';
import { combine2Into } from './latents.js';

/**
 * VP form, x_t = α·x₀ + σ·ε with α² + σ² = 1 (DDIM, DDPM, LCM with α = √ᾱ; DPM-Solver, UniPC,
 * DEIS with α, σ from the σ schedule).
 */
export function originalFromVpInto(
  out: Float32Array,
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alpha: number,
  sigma: number,
): void {
  switch (prediction) {
    case 'epsilon':
      return combine2Into(out, 1 / alpha, sample, -sigma / alpha, modelOutput);
    case 'v_prediction':
      return combine2Into(out, alpha, sample, -sigma, modelOutput);
    case 'sample':
      return out.set(modelOutput);
  }
}

/** VP form, the noise ε implied by a model output. */
export function epsilonFromVpInto(
  out: Float32Array,
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alpha: number,
  sigma: number,
): void {
  switch (prediction) {
    case 'epsilon':
      return out.set(modelOutput);
    case 'v_prediction':
      return combine2Into(out, alpha, modelOutput, sigma, sample);
    case 'sample':
      return combine2Into(out, 1 / sigma, sample, -alpha / sigma, modelOutput);
  }
}

/**
 * Karras form, x = x₀ + σ·ε where the UNet saw x/√(σ²+1): ε gives x − σ·ε, v gives
 * −σ/√(σ²+1)·v + x/(σ²+1), exactly as diffusers' Euler-family samplers write it.
 */
export function originalFromKarrasInto(out: Float32Array, prediction: PredictionType, modelOutput: Float32Array, sample: Float32Array, sigma: number): void {
  switch (prediction) {
    case 'epsilon':
      return combine2Into(out, 1, sample, -sigma, modelOutput);
    case 'v_prediction':
      return combine2Into(out, -sigma / Math.sqrt(sigma * sigma + 1), modelOutput, 1 / (sigma * sigma + 1), sample);
    case 'sample':
      return out.set(modelOutput);
  }
}
