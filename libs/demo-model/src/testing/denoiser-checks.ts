import assert from 'node:assert/strict';
import type { DemoPredictionType } from '../denoiser-graph.js';
import { DEMO_SCALING_FACTOR, demoSigmaAt } from '../noise-schedule.js';
import { seededNormal } from './seeded-random.js';

/** √ᾱ and √(1 − ᾱ) at a timestep, in double precision. */
export function alphaSigma(timestep: number): { a: number; b: number } {
  const sigma = demoSigmaAt(timestep);
  const a = 1 / Math.sqrt(1 + sigma * sigma);
  return { a, b: sigma * a };
}

/** A noisy sample consistent with `x0` at `timestep`: √ᾱ·x0 + √(1 − ᾱ)·n. */
export function noisySample(x0: Float32Array, timestep: number, seed: number): Float32Array {
  const { a, b } = alphaSigma(timestep);
  const normal = seededNormal(seed);
  return x0.map((value) => a * value + b * normal());
}

/** x0 implied by a model output: (x − √(1−ᾱ)·ε)/√ᾱ for epsilon, √ᾱ·x − √(1−ᾱ)·v for v_prediction. */
export function recoverX0(sample: Float32Array, output: Float32Array, timestep: number, predictionType: DemoPredictionType): Float64Array {
  const { a, b } = alphaSigma(timestep);
  return Float64Array.from(sample, (x, i) => (predictionType === 'epsilon' ? (x - b * output[i]) / a : a * x - b * output[i]));
}

/** Within 1e-4 relative to the latent scale (the largest |x0| a demo target has). */
export function assertRecovers(recovered: Float64Array, target: Float32Array, label: string): number {
  assert.equal(recovered.length, target.length);
  let worst = 0;
  for (let i = 0; i < target.length; i++) worst = Math.max(worst, Math.abs(recovered[i] - target[i]));
  assert.ok(worst <= 1e-4 * DEMO_SCALING_FACTOR, `${label}: max |x0 error| ${worst}`);
  return worst;
}
