import type { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { demoLogSigmas } from './noise-schedule.js';

export type DemoPredictionType = 'epsilon' | 'v_prediction';

/**
 * The output of an exact denoiser whose data distribution is the single point `x0`:
 * σ(t) comes from the log-σ table interpolated linearly between floor(t) and floor(t) + 1
 * (the inverse of diffusers' σ → t mapping, so fractional Karras/Euler timesteps stay exact),
 * and with c = √(1 + σ²) = 1/√ᾱ:
 *   epsilon       (x − √ᾱ·x0)/√(1 − ᾱ)       = (c·x − x0)/σ
 *   v_prediction  √ᾱ·ε − √(1 − ᾱ)·x0        = (x − c·x0)/σ
 * The σ forms avoid 1 − ᾱ, which loses float32 precision at small t.
 */
export function appendExactDenoiser(
  ops: Ops,
  inputs: { readonly sample: string; readonly timestep: string; readonly x0: string },
  predictionType: DemoPredictionType,
): string {
  const logSigmas = demoLogSigmas();
  const lastIndex = logSigmas.length - 1;
  const table = ops.graph.initializer(float32Literal(logSigmas), 'log_sigmas');

  const t = ops.clip(inputs.timestep, ops.scalar(0), ops.scalar(lastIndex));
  const lowIndex = ops.min(ops.floor(t), ops.scalar(lastIndex - 1));
  const fraction = ops.sub(t, lowIndex);
  const low = ops.cast(lowIndex, 'int64');
  const lowLogSigma = ops.gather(table, low);
  const highLogSigma = ops.gather(table, ops.add(low, ops.int64s([1], [])));
  const logSigma = ops.add(lowLogSigma, ops.mul(fraction, ops.sub(highLogSigma, lowLogSigma)));
  const sigma = ops.exp(logSigma);
  const c = ops.sqrt(ops.add(ops.mul(sigma, sigma), ops.scalar(1)));

  const numerator =
    predictionType === 'epsilon'
      ? ops.sub(ops.mul(c, inputs.sample), inputs.x0)
      : ops.sub(inputs.sample, ops.mul(c, inputs.x0));
  return ops.div(numerator, sigma);
}
