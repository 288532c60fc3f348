/**
 * The σ schedule of diffusers' multistep solvers (DPM-Solver, UniPC, DEIS): integer timesteps
 * by the n+1-point spacing rule (or rounded Karras timesteps), σ interpolated at them, and one
 * extra final σ. These samplers work on the VP sample x_t = α_t·x₀ + σ_t·ε directly, so the
 * UNet input is not rescaled and the initial noise has unit variance.
 */
import type { NoiseScheduleConfig } from './scheduler.js';
import { alphasCumprodForSigmas } from './alphas.js';
import { combine2Into } from './latents.js';
import { interpIndexed, roundHalfEven } from './numpy-compat.js';
import { alphaSigmaOf, karrasSigmas, logSigmas, sigmaToTimestep, toFloat32Values, trainingSigmas } from './sigmas.js';
import { multistepTimesteps } from './spacing.js';

export interface VpSchedule {
  readonly timesteps: Float64Array;
  /** One σ per timestep plus the final σ (0 or σ_min). */
  readonly sigmas: Float64Array;
}

export interface VpScheduleRequest {
  readonly steps: number;
  readonly karras: boolean;
  readonly finalSigma: 'zero' | 'sigma_min';
  /** DPM-Solver's λ clipping: timesteps whose λ falls below it are never visited. */
  readonly lambdaMinClipped?: number;
  /**
   * DPM-Solver does not round Karras timesteps for the cosine schedule; its int64 cast then
   * truncates them. UniPC and DEIS always round.
   */
  readonly truncateCosineKarrasTimesteps?: boolean;
}

/** Training timesteps kept by λ clipping: N minus the count of λ(t) below the threshold. */
function lastTimestepAfterClipping(alphas: Float64Array, lambdaMinClipped: number): number {
  let below = 0;
  for (const a of alphas) if (Math.log(Math.fround(Math.sqrt(a))) - Math.log(Math.fround(Math.sqrt(1 - a))) < lambdaMinClipped) below++;
  return alphas.length - below;
}

export function vpSchedule(config: NoiseScheduleConfig, request: VpScheduleRequest): VpSchedule {
  const alphas = alphasCumprodForSigmas(config);
  const table = trainingSigmas(alphas);
  let timesteps = multistepTimesteps(
    { spacing: config.timestep_spacing, trainTimesteps: config.num_train_timesteps, steps: request.steps, stepsOffset: config.steps_offset },
    lastTimestepAfterClipping(alphas, request.lambdaMinClipped ?? Number.NEGATIVE_INFINITY),
  );
  let sigmas: Float64Array;
  if (request.karras) {
    // Unlike the k-diffusion ports, the ramp spans the whole training range.
    sigmas = karrasSigmas(table[0], table[table.length - 1], request.steps);
    const logTable = logSigmas(table);
    const truncate = request.truncateCosineKarrasTimesteps === true && config.beta_schedule === 'squaredcos_cap_v2';
    timesteps = sigmas.map((s) => (truncate ? Math.trunc : roundHalfEven)(sigmaToTimestep(s, logTable)));
  } else {
    sigmas = timesteps.map((t) => interpIndexed(t, table));
  }
  const sigmaMin = Math.sqrt((1 - alphas[0]) / alphas[0]);
  const withFinal = new Float64Array(sigmas.length + 1);
  withFinal.set(sigmas);
  withFinal[sigmas.length] = request.finalSigma === 'zero' ? 0 : sigmaMin;
  return { timesteps, sigmas: toFloat32Values(withFinal) };
}

export function addNoiseVpInto(out: Float32Array, original: Float32Array, noise: Float32Array, sigma: number): void {
  const { alpha, sigma: sigmaT } = alphaSigmaOf(sigma);
  combine2Into(out, alpha, original, sigmaT, noise);
}
