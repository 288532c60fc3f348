/**
 * The few numpy primitives diffusers builds its schedules from, reproduced with numpy's exact
 * floating-point behaviour: timestep lists are rounded to integers, so a different rounding rule
 * or accumulation order would move a timestep by one and change the image.
 */

/** numpy.round / Python round: halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** numpy.linspace(start, stop, count) with endpoint=True: `i * step + start`, last value pinned. */
export function linspace(start: number, stop: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (count === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (count - 1);
  for (let i = 0; i < count; i++) out[i] = i * step + start;
  out[count - 1] = stop;
  return out;
}

/** numpy.arange(start, stop, step) for floats: length ceil((stop-start)/step), then start + i*delta. */
export function arange(start: number, stop: number, step: number): Float64Array {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(length);
  if (length === 0) return out;
  out[0] = start;
  if (length === 1) return out;
  // numpy derives the increment from the first two stored values, not from `step` itself.
  out[1] = start + step;
  const delta = out[1] - start;
  for (let i = 2; i < length; i++) out[i] = start + i * delta;
  return out;
}

/** numpy.interp for increasing `xp`, clamping outside the table like numpy does. */
export function interp(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>): number {
  const last = xp.length - 1;
  if (x <= xp[0]) return fp[0];
  if (x >= xp[last]) return fp[last];
  let low = 0;
  let high = last;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (xp[middle] <= x) low = middle;
    else high = middle;
  }
  const slope = (fp[high] - fp[low]) / (xp[high] - xp[low]);
  return slope * (x - xp[low]) + fp[low];
}

/** Integer-indexed table lookup with linear interpolation in between (np.interp on 0..n-1). */
export function interpIndexed(x: number, table: ArrayLike<number>): number {
  const last = table.length - 1;
  if (x <= 0) return table[0];
  if (x >= last) return table[last];
  const low = Math.floor(x);
  if (low === x) return table[low];
  const slope = table[low + 1] - table[low];
  return slope * (x - low) + table[low];
}
