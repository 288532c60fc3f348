/**
 * Element-wise arithmetic on flat float32 latents. Every result is a new array (schedulers must
 * not mutate what the pipeline hands them); sums are accumulated in float64 and rounded once.
 */
import { SchedulerConfigError } from './errors.js';

export type Term = readonly [coefficient: number, values: Float32Array];

/** Σ cᵢ·xᵢ over equally sized arrays. */
export function combine(...terms: readonly Term[]): Float32Array {
  const length = terms[0][1].length;
  for (const [, values] of terms) {
    if (values.length !== length) throw new SchedulerConfigError(`latent size mismatch: ${values.length} vs ${length}`);
  }
  const out = new Float32Array(length);
  const count = terms.length;
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (let k = 0; k < count; k++) sum += terms[k][0] * terms[k][1][i];
    out[i] = sum;
  }
  return out;
}

export function scale(values: Float32Array, factor: number): Float32Array {
  return combine([factor, values]);
}

export function clamp(values: Float32Array, limit: number): Float32Array {
  return values.map((x) => Math.min(limit, Math.max(-limit, x)));
}

export function assertSameLength(a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length) throw new SchedulerConfigError(`${what}: size ${a.length} does not match sample size ${b.length}`);
}
