/**
 * Turning a model output into a prediction of the clean latent x₀, for the two ways samplers
 * parameterise the noisy sample.
 */
import type { PredictionType } from './scheduler.js';
import { combine } from './latents.js';

/**
 * VP form, x_t = α·x₀ + σ·ε with α² + σ² = 1 (DDIM, DDPM, LCM with α = √ᾱ; DPM-Solver, UniPC,
 * DEIS with α, σ from the σ schedule).
 */
export function originalFromVp(
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alpha: number,
  sigma: number,
): Float32Array {
  switch (prediction) {
    case 'epsilon':
      return combine([1 / alpha, sample], [-sigma / alpha, modelOutput]);
    case 'v_prediction':
      return combine([alpha, sample], [-sigma, modelOutput]);
    case 'sample':
      return modelOutput.slice();
  }
}

/** VP form, the noise ε implied by a model output. */
export function epsilonFromVp(
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  alpha: number,
  sigma: number,
): Float32Array {
  switch (prediction) {
    case 'epsilon':
      return modelOutput.slice();
    case 'v_prediction':
      return combine([alpha, modelOutput], [sigma, sample]);
    case 'sample':
      return combine([1 / sigma, sample], [-alpha / sigma, modelOutput]);
  }
}

/**
 * Karras form, x = x₀ + σ·ε where the UNet saw x/√(σ²+1): ε gives x − σ·ε, v gives
 * −σ/√(σ²+1)·v + x/(σ²+1), exactly as diffusers' Euler-family samplers write it.
 */
export function originalFromKarras(
  prediction: PredictionType,
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
): Float32Array {
  switch (prediction) {
    case 'epsilon':
      return combine([1, sample], [-sigma, modelOutput]);
    case 'v_prediction':
      return combine([-sigma / Math.sqrt(sigma * sigma + 1), modelOutput], [1 / (sigma * sigma + 1), sample]);
    case 'sample':
      return modelOutput.slice();
  }
}
