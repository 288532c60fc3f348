import { demoLogSigmas } from '../noise-schedule.js';
import type { DemoPredictionType } from '../denoiser-graph.js';

/** diffusers' EulerDiscreteScheduler._sigma_to_t on the demo table. */
export function sigmaToTimestep(sigma: number, logSigmas: Float32Array = demoLogSigmas()): number {
  const logSigma = Math.log(sigma);
  let low = 0;
  while (low < logSigmas.length - 2 && logSigmas[low + 1] <= logSigma) low++;
  const w = Math.min(Math.max((logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1]), 0), 1);
  return low + w;
}

/** Karras et al. (2022) spacing between the table's σ_max and σ_min, followed by 0. */
export function karrasSigmas(steps: number, rho = 7): number[] {
  const logSigmas = demoLogSigmas();
  const sigmaMin = Math.exp(logSigmas[0]);
  const sigmaMax = Math.exp(logSigmas[logSigmas.length - 1]);
  const sigmas = Array.from(
    { length: steps },
    (_, i) => (sigmaMax ** (1 / rho) + (i / (steps - 1)) * (sigmaMin ** (1 / rho) - sigmaMax ** (1 / rho))) ** rho,
  );
  return [...sigmas, 0];
}

/**
 * A plain Euler sampler (diffusers' EulerDiscreteScheduler math) in double precision; `model`
 * receives the VP-scaled input and a fractional timestep and returns ε or v.
 */
export async function eulerSample(
  noise: Float64Array,
  steps: number,
  predictionType: DemoPredictionType,
  model: (input: Float32Array, timestep: number) => Promise<Float32Array>,
): Promise<Float64Array> {
  const sigmas = karrasSigmas(steps);
  let x = noise.map((n) => n * sigmas[0]);
  for (let i = 0; i < steps; i++) {
    const sigma = sigmas[i];
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    const output = await model(Float32Array.from(x, (v) => v * scale), sigmaToTimestep(sigma));
    const denoised = x.map((v, j) => (predictionType === 'epsilon' ? v - sigma * output[j] : v * scale * scale - output[j] * sigma * scale));
    x = x.map((v, j) => v + ((sigmas[i + 1] - sigma) * (v - denoised[j])) / sigma);
  }
  return x;
}
