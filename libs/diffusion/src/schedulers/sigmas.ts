/**
 * σ-space helpers shared by the Karras-style samplers (σ = √((1-ᾱ)/ᾱ), x = x₀ + σ·ε) and the
 * DPM-Solver family (which converts σ back to α_t = 1/√(σ²+1), σ_t = σ·α_t).
 */
import { linspace } from './numpy-compat.js';

const f32 = Math.fround;

/** σ(t) = √((1-ᾱ)/ᾱ) for every training timestep, as diffusers' float32 tensor holds it. */
export function trainingSigmas(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/** np.log of the float32 sigma table, as diffusers' `log_sigmas`. */
export function logSigmas(sigmas: Float64Array): Float64Array {
  return sigmas.map((s) => f32(Math.log(s)));
}

/**
 * diffusers' `_sigma_to_t`: the fractional training timestep whose σ is `sigma`, interpolating
 * linearly in log σ between the two neighbouring integer timesteps and clamping at the ends.
 */
export function sigmaToTimestep(sigma: number, logSigmaTable: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // Last index whose log σ does not exceed the target (0 if none), kept off the final entry.
  let low = 0;
  for (let i = 0; i < logSigmaTable.length; i++) if (logSigma - logSigmaTable[i] >= 0) low = i;
  low = Math.min(low, logSigmaTable.length - 2);
  const lowValue = logSigmaTable[low];
  const highValue = logSigmaTable[low + 1];
  const weight = Math.min(1, Math.max(0, (lowValue - logSigma) / (lowValue - highValue)));
  return (1 - weight) * low + weight * (low + 1);
}

/** Karras et al. (2022) schedule with ρ = 7 from `sigmaMax` down to `sigmaMin`, `count` values. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number): Float64Array {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return linspace(0, 1, count).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/** VP coefficients of a σ: x_t = α_t·x₀ + σ_t·ε with α_t = 1/√(σ²+1), σ_t = σ·α_t. */
export function alphaSigmaOf(sigma: number): { readonly alpha: number; readonly sigma: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, sigma: sigma * alpha };
}

/** λ = log α_t − log σ_t, the half-log-SNR DPM-Solver steps in (∞ at σ = 0). */
export function lambdaOf(sigma: number): number {
  const { alpha, sigma: sigmaT } = alphaSigmaOf(sigma);
  return Math.log(alpha) - Math.log(sigmaT);
}

/** Rounds every entry to float32, where diffusers stores a schedule with `.astype(np.float32)`. */
export function toFloat32Values(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values, f32);
}
