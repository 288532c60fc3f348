/**
 * Training noise schedule: betas and their cumulative products ᾱ(t).
 *
 * diffusers keeps these in float32 torch tensors (cumprod accumulates in double on CPU and stores
 * float32), and every later quantity is derived from them, so values are rounded to float32 at
 * the same points here; arithmetic on them afterwards is float64.
 */
import type { NoiseScheduleConfig } from './scheduler.js';
import { SchedulerConfigError } from './errors.js';

const f32 = Math.fround;

/** torch.linspace(start, end, count, dtype=float32) on CPU: both halves anchored at an end. */
function linspaceFloat32(start: number, end: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const from = f32(start);
  const to = f32(end);
  if (count === 1) {
    out[0] = from;
    return out;
  }
  const step = f32(f32(to - from) / (count - 1));
  const halfway = Math.floor(count / 2);
  for (let i = 0; i < count; i++) {
    out[i] = i < halfway ? f32(from + f32(step * i)) : f32(to - f32(step * (count - i - 1)));
  }
  return out;
}

/** Betas of the cosine schedule (Nichol & Dhariwal), capped at 0.999, as betas_for_alpha_bar. */
function cosineBetas(count: number): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = f32(Math.min(1 - alphaBar((i + 1) / count) / alphaBar(i / count), 0.999));
  }
  return out;
}

export function trainingBetas(config: NoiseScheduleConfig): Float64Array {
  const count = config.num_train_timesteps;
  if (config.trained_betas !== null) {
    if (config.trained_betas.length !== count) {
      throw new SchedulerConfigError(`trained_betas has ${config.trained_betas.length} entries, num_train_timesteps is ${count}`);
    }
    return Float64Array.from(config.trained_betas, f32);
  }
  switch (config.beta_schedule) {
    case 'linear':
      return linspaceFloat32(config.beta_start, config.beta_end, count);
    case 'scaled_linear':
      return linspaceFloat32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), count).map((x) => f32(x * x));
    case 'squaredcos_cap_v2':
      return cosineBetas(count);
  }
}

function cumulativeProduct(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= f32(1 - betas[i]);
    out[i] = f32(product);
  }
  return out;
}

/**
 * Lin et al. 2023 ("Common Diffusion Noise Schedules and Sample Steps are Flawed"): shift and
 * scale √ᾱ so the last timestep has zero SNR while the first keeps its value.
 */
function rescaleToZeroTerminalSnr(betas: Float64Array): Float64Array {
  const sqrtAlphaBar = cumulativeProduct(betas).map(Math.sqrt);
  const first = sqrtAlphaBar[0];
  const last = sqrtAlphaBar[sqrtAlphaBar.length - 1];
  const alphaBar = sqrtAlphaBar.map((x) => {
    const shifted = (x - last) * (first / (first - last));
    return shifted * shifted;
  });
  return alphaBar.map((value, i) => f32(1 - (i === 0 ? value : value / alphaBar[i - 1])));
}

/** ᾱ(t) for t = 0..num_train_timesteps-1. */
export function alphasCumprod(config: NoiseScheduleConfig): Float64Array {
  const betas = trainingBetas(config);
  return cumulativeProduct(config.rescale_betas_zero_snr ? rescaleToZeroTerminalSnr(betas) : betas);
}

/**
 * ᾱ for samplers that work in σ = √((1-ᾱ)/ᾱ): a zero-SNR schedule would give σ = ∞ at the last
 * timestep, so diffusers replaces that ᾱ with 2⁻²⁴.
 */
export function alphasCumprodForSigmas(config: NoiseScheduleConfig): Float64Array {
  const alphas = alphasCumprod(config);
  if (config.rescale_betas_zero_snr) alphas[alphas.length - 1] = 2 ** -24;
  return alphas;
}
