/**
 * Element-wise arithmetic on flat float32 latents. Sums are accumulated in float64 from 0 and
 * rounded once, in term order, so `combine` and the `…Into` kernels give bit-identical results.
 * `combine` returns a new array (schedule set-up, tests); the per-step path uses the kernels, which
 * write into a caller-provided `out` that may be one of their inputs (every output element only
 * reads the same element of each input).
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

/** `clamp`, in place. */
export function clampInPlace(values: Float32Array, limit: number): void {
  for (let i = 0; i < values.length; i++) values[i] = Math.min(limit, Math.max(-limit, values[i]));
}

export function assertSameLength(a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length) throw new SchedulerConfigError(`${what}: size ${a.length} does not match sample size ${b.length}`);
}

// The leading `0 +` keeps combine's float64 accumulator start, so a sum of −0 products stays +0.

/** out = a·x */
export function combine1Into(out: Float32Array, a: number, x: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 0 + a * x[i];
}

/** out = a·x + b·y */
export function combine2Into(out: Float32Array, a: number, x: Float32Array, b: number, y: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 0 + a * x[i] + b * y[i];
}

/** out = a·x + b·y + c·z */
export function combine3Into(out: Float32Array, a: number, x: Float32Array, b: number, y: Float32Array, c: number, z: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = 0 + a * x[i] + b * y[i] + c * z[i];
}

/** out = a·x + b·y + c·z + d·w */
export function combine4Into(
  out: Float32Array,
  a: number,
  x: Float32Array,
  b: number,
  y: Float32Array,
  c: number,
  z: Float32Array,
  d: number,
  w: Float32Array,
): void {
  for (let i = 0; i < out.length; i++) out[i] = 0 + a * x[i] + b * y[i] + c * z[i] + d * w[i];
}

/** out = a·x + b·y + c·z + d·w + e·v (LMS at order 4, UniPC's corrector at order 3) */
export function combine5Into(
  out: Float32Array,
  a: number,
  x: Float32Array,
  b: number,
  y: Float32Array,
  c: number,
  z: Float32Array,
  d: number,
  w: Float32Array,
  e: number,
  v: Float32Array,
): void {
  for (let i = 0; i < out.length; i++) out[i] = 0 + a * x[i] + b * y[i] + c * z[i] + d * w[i] + e * v[i];
}

/**
 * A reusable list of up to `capacity` terms, for samplers whose term count varies per step (LMS,
 * UniPC): filled with `add` each step and written with `into`, without per-step arrays.
 */
export class TermList {
  private readonly coefficients: Float64Array;
  private readonly values: Float32Array[];
  private count = 0;

  constructor(capacity: number) {
    this.coefficients = new Float64Array(capacity);
    this.values = new Array<Float32Array>(capacity);
  }

  clear(): this {
    this.count = 0;
    return this;
  }

  add(coefficient: number, values: Float32Array): this {
    this.coefficients[this.count] = coefficient;
    this.values[this.count] = values;
    this.count++;
    return this;
  }

  into(out: Float32Array): void {
    const { coefficients, values, count } = this;
    for (let k = 0; k < count; k++) assertSameLength(values[k], out, 'term');
    switch (count) {
      case 1:
        return combine1Into(out, coefficients[0], values[0]);
      case 2:
        return combine2Into(out, coefficients[0], values[0], coefficients[1], values[1]);
      case 3:
        return combine3Into(out, coefficients[0], values[0], coefficients[1], values[1], coefficients[2], values[2]);
      case 4:
        return combine4Into(out, coefficients[0], values[0], coefficients[1], values[1], coefficients[2], values[2], coefficients[3], values[3]);
      case 5:
        return combine5Into(
          out,
          coefficients[0],
          values[0],
          coefficients[1],
          values[1],
          coefficients[2],
          values[2],
          coefficients[3],
          values[3],
          coefficients[4],
          values[4],
        );
    }
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let k = 0; k < count; k++) sum += coefficients[k] * values[k][i];
      out[i] = sum;
    }
  }
}
