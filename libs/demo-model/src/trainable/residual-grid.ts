// TypeScript mirror of the residual's Resize (linear, half_pixel, edge-clamped, no antialias:
// ONNX Resize at opset 17) and its adjoint, which carries gradients from the latent grid back to
// the residual's own grid. At the residual's native size both are the identity.

interface Tap {
  readonly low: number;
  readonly high: number;
  readonly fraction: number;
}

function taps(inSize: number, outSize: number): Tap[] {
  const scale = outSize / inSize;
  return Array.from({ length: outSize }, (_, index) => {
    const source = Math.min(Math.max((index + 0.5) / scale - 0.5, 0), inSize - 1);
    const low = Math.floor(source);
    return { low, high: Math.min(low + 1, inSize - 1), fraction: source - low };
  });
}

export interface GridSize {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** [channels, from.height, from.width] → [channels, to.height, to.width]. */
export function resizeResidual(values: ArrayLike<number>, from: GridSize, to: Pick<GridSize, 'height' | 'width'>): Float32Array {
  if (from.height === to.height && from.width === to.width) return Float32Array.from(values);
  const rows = taps(from.height, to.height);
  const columns = taps(from.width, to.width);
  const out = new Float32Array(from.channels * to.height * to.width);
  for (let c = 0; c < from.channels; c++) {
    const plane = c * from.height * from.width;
    for (let y = 0; y < to.height; y++) {
      const r = rows[y];
      for (let x = 0; x < to.width; x++) {
        const k = columns[x];
        const at = (yy: number, xx: number): number => values[plane + yy * from.width + xx];
        const top = at(r.low, k.low) * (1 - k.fraction) + at(r.low, k.high) * k.fraction;
        const bottom = at(r.high, k.low) * (1 - k.fraction) + at(r.high, k.high) * k.fraction;
        out[(c * to.height + y) * to.width + x] = top * (1 - r.fraction) + bottom * r.fraction;
      }
    }
  }
  return out;
}

/** The transpose of resizeResidual: gradients on the latent grid → gradients on the residual grid. */
export function resizeResidualAdjoint(gradient: ArrayLike<number>, from: GridSize, to: Pick<GridSize, 'height' | 'width'>): Float64Array {
  const out = new Float64Array(from.channels * from.height * from.width);
  if (from.height === to.height && from.width === to.width) {
    for (let i = 0; i < out.length; i++) out[i] = gradient[i];
    return out;
  }
  const rows = taps(from.height, to.height);
  const columns = taps(from.width, to.width);
  for (let c = 0; c < from.channels; c++) {
    const plane = c * from.height * from.width;
    for (let y = 0; y < to.height; y++) {
      const r = rows[y];
      for (let x = 0; x < to.width; x++) {
        const k = columns[x];
        const g = gradient[(c * to.height + y) * to.width + x];
        const add = (yy: number, xx: number, weight: number): void => {
          out[plane + yy * from.width + xx] += weight * g;
        };
        add(r.low, k.low, (1 - r.fraction) * (1 - k.fraction));
        add(r.low, k.high, (1 - r.fraction) * k.fraction);
        add(r.high, k.low, r.fraction * (1 - k.fraction));
        add(r.high, k.high, r.fraction * k.fraction);
      }
    }
  }
  return out;
}
