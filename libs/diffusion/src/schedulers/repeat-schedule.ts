/** Layouts of the two-evaluations-per-step samplers, as diffusers builds them. */

/** [a0, a1, a1, a2, a2, …]: the first entry once, every later one twice. */
export function repeatAfterFirst(values: Float64Array): Float64Array {
  if (values.length === 0) return new Float64Array(0);
  const out = new Float64Array(2 * values.length - 1);
  out[0] = values[0];
  for (let i = 1; i < values.length; i++) {
    out[2 * i - 1] = values[i];
    out[2 * i] = values[i];
  }
  return out;
}

/** [m0, …, m_{n−1}] and [a0, …, a_n] → [a0, m0, a1, m1, a2, …, m_{n−1}, a_n]. */
export function interleaveAfterFirst(main: Float64Array, intermediate: Float64Array): Float64Array {
  const out = new Float64Array(main.length + intermediate.length);
  out[0] = main[0];
  for (let i = 0; i < intermediate.length; i++) {
    out[2 * i + 1] = intermediate[i];
    out[2 * i + 2] = main[i + 1];
  }
  return out;
}
