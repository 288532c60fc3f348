/**
 * Test support: a "perfect UNet" for data concentrated on one known latent x₀. For that data the
 * ideal ε-prediction is (x_t − √ᾱ·x₀)/√(1−ᾱ), so every sampler's ODE has a known solution and any
 * correct sampler must land on x₀. ᾱ comes from the beta schedule computed here independently
 * (float64), with fractional timesteps mapped to σ by linear interpolation in log σ (the inverse
 * of diffusers' σ → t mapping).
 */
import type { NoiseScheduleConfig, PredictionType, Scheduler } from '../scheduler.js';

function betas(config: NoiseScheduleConfig): number[] {
  const n = config.num_train_timesteps;
  const ramp = (from: number, to: number): number[] => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
  if (config.beta_schedule === 'linear') return ramp(config.beta_start, config.beta_end);
  if (config.beta_schedule === 'scaled_linear') return ramp(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end)).map((b) => b * b);
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Array.from({ length: n }, (_, i) => Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999));
}

export function alphaBarTable(config: NoiseScheduleConfig): number[] {
  let product = 1;
  return betas(config).map((beta) => (product *= 1 - beta));
}

/** ᾱ at a possibly fractional timestep, interpolating log σ between integer neighbours. */
export function alphaBarAt(table: readonly number[], timestep: number): number {
  const logSigma = (t: number): number => 0.5 * Math.log((1 - table[t]) / table[t]);
  const low = Math.max(0, Math.min(table.length - 1, Math.floor(timestep)));
  const high = Math.min(table.length - 1, low + 1);
  const fraction = Math.max(0, Math.min(1, timestep - low));
  const sigma = Math.exp(logSigma(low) + fraction * (logSigma(high) - logSigma(low)));
  return 1 / (1 + sigma * sigma);
}

export type Denoiser = (modelInput: Float32Array, timestep: number) => Float32Array;

export function exactDenoiser(config: NoiseScheduleConfig, target: Float32Array, prediction: PredictionType): Denoiser {
  const table = alphaBarTable(config);
  return (input, timestep) => {
    const alphaBar = alphaBarAt(table, timestep);
    const a = Math.sqrt(alphaBar);
    const s = Math.sqrt(1 - alphaBar);
    return input.map((x, i) => {
      const epsilon = (x - a * target[i]) / s;
      if (prediction === 'epsilon') return epsilon;
      if (prediction === 'v_prediction') return a * epsilon - s * target[i];
      return target[i];
    });
  };
}

/** The diffusers pipeline loop, from `scheduler.beginIndex`. */
export function sample(scheduler: Scheduler, start: Float32Array, model: Denoiser): Float32Array {
  let x = start;
  for (let i = scheduler.beginIndex; i < scheduler.timesteps.length; i++) {
    x = scheduler.step(model(scheduler.scaleModelInput(x, i), scheduler.timesteps[i]), i, x);
  }
  return x;
}

export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** A smooth latent-like target in [−1, 1]. */
export function targetLatent(size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => 0.9 * Math.sin(0.37 * i + 0.5) * Math.cos(0.11 * i));
}
