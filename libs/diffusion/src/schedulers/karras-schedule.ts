/**
 * The σ schedule of diffusers' k-diffusion ports (Euler, Euler a, LMS, Heun, DPM2, DPM2 a,
 * DPM++ SDE, DPM++ 2S a): timesteps by spacing rule, σ interpolated linearly in t from the
 * training table, optionally replaced by a Karras ramp between the same end points.
 */
import type { NoiseScheduleConfig, PredictionType } from './scheduler.js';
import { alphasCumprodForSigmas } from './alphas.js';
import { readOptionalNumber } from './extra-settings.js';
import { combine1Into, combine2Into } from './latents.js';
import { interpIndexed, roundHalfEven } from './numpy-compat.js';
import { karrasSigmas, logSigmas, sigmaToTimestep, toFloat32Values, trainingSigmas } from './sigmas.js';
import { sigmaFamilyTimesteps } from './spacing.js';
import { SchedulerConfigError } from './errors.js';

export interface KarrasStyleSchedule {
  /** One per step, descending, float32 values (fractional with linspace spacing or Karras σ). */
  readonly timesteps: Float64Array;
  /** σ per step, without the trailing 0. */
  readonly sigmas: Float64Array;
  /** log σ of the training table, for σ → t of intermediate points. */
  readonly logSigmaTable: Float64Array;
}

/** diffusers rounds the Karras timesteps of its DPM2 ports, not those of Euler, Heun or LMS. */
export interface KarrasStyleOptions {
  readonly roundKarrasTimesteps?: boolean;
}

export function karrasStyleSchedule(config: NoiseScheduleConfig, steps: number, karras: boolean, options: KarrasStyleOptions = {}): KarrasStyleSchedule {
  const table = trainingSigmas(alphasCumprodForSigmas(config));
  const logSigmaTable = logSigmas(table);
  let timesteps: Float64Array = sigmaFamilyTimesteps({
    spacing: config.timestep_spacing,
    trainTimesteps: config.num_train_timesteps,
    steps,
    stepsOffset: config.steps_offset,
  });
  let sigmas: Float64Array = timesteps.map((t) => interpIndexed(t, table));
  if (karras) {
    const sigmaMin = readOptionalNumber(config, 'sigma_min') ?? sigmas[sigmas.length - 1];
    const sigmaMax = readOptionalNumber(config, 'sigma_max') ?? sigmas[0];
    sigmas = karrasSigmas(sigmaMin, sigmaMax, steps);
    const toTimestep = (s: number): number => sigmaToTimestep(s, logSigmaTable);
    timesteps = toFloat32Values(sigmas.map((s) => (options.roundKarrasTimesteps ? roundHalfEven(toTimestep(s)) : toTimestep(s))));
  }
  return { timesteps, sigmas, logSigmaTable };
}

/** σ list with the final σ appended, rounded to float32 like diffusers' `.astype(np.float32)`. */
export function withFinalSigma(sigmas: Float64Array, finalSigma = 0): Float64Array {
  const out = new Float64Array(sigmas.length + 1);
  out.set(sigmas);
  out[sigmas.length] = finalSigma;
  return toFloat32Values(out);
}

/** diffusers: linspace/trailing start at σ_max, leading at √(σ_max²+1). */
export function karrasInitNoiseSigma(config: NoiseScheduleConfig, sigmas: Float64Array): number {
  const maxSigma = sigmas.reduce((a, b) => Math.max(a, b), 0);
  return config.timestep_spacing === 'leading' ? Math.sqrt(maxSigma * maxSigma + 1) : maxSigma;
}

/** The UNet sees x/√(σ²+1), which has unit variance for x = x₀ + σ·ε with unit-variance x₀. */
export function scaleForSigmaInto(out: Float32Array, sample: Float32Array, sigma: number): void {
  combine1Into(out, 1 / Math.sqrt(sigma * sigma + 1), sample);
}

export function addNoiseAtSigmaInto(out: Float32Array, original: Float32Array, noise: Float32Array, sigma: number): void {
  combine2Into(out, 1, original, sigma, noise);
}

/** Some k-diffusion ports in diffusers raise for `sample` prediction; so do these. */
export function refuseSamplePrediction(prediction: PredictionType, name: string): void {
  if (prediction === 'sample') throw new SchedulerConfigError(`${name} does not support prediction_type "sample"`);
}
