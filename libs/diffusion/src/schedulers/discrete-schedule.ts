/** Shared pieces of the samplers indexed by integer training timestep (DDIM, PNDM, DDPM, LCM). */
import type { NoiseScheduleConfig } from './scheduler.js';
import { combine2Into } from './latents.js';

/** x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε: diffusers' `add_noise` for these samplers. */
export function addNoiseDiscreteInto(out: Float32Array, original: Float32Array, noise: Float32Array, alphaCumprod: number): void {
  combine2Into(out, Math.sqrt(alphaCumprod), original, Math.sqrt(1 - alphaCumprod), noise);
}

/** ᾱ used past the end of the schedule (t < 0): 1, or ᾱ₀ when set_alpha_to_one is off. */
export function finalAlphaCumprod(config: NoiseScheduleConfig, alphas: Float64Array): number {
  return config.set_alpha_to_one ? 1 : alphas[0];
}

/** ᾱ at a timestep value, 1-or-ᾱ₀ below zero; timesteps here are integers by construction. */
export function alphaAt(alphas: Float64Array, timestep: number, final: number): number {
  return timestep >= 0 ? alphas[timestep] : final;
}
