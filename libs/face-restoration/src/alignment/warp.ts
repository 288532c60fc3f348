import type { Affine } from './affine.js';

/** Interleaved float samples (any channel count), row-major. */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: ArrayLike<number>;
}

/**
 * cv2.warpAffine(INTER_LINEAR, BORDER_CONSTANT) in float: output pixel (u, v) of the `width` ×
 * `height` window at (`left`, `top`) samples the source at `sourceOf`(u, v) — the inverse map,
 * dst → src — bilinearly, each of the four taps outside the source reading `border`.
 */
export function warpBilinear(
  source: FloatImage,
  sourceOf: Affine,
  width: number,
  height: number,
  border: readonly number[],
  window: { readonly left: number; readonly top: number } = { left: 0, top: 0 },
): Float32Array {
  const { channels } = source;
  const out = new Float32Array(width * height * channels);
  for (let v = 0; v < height; v++) {
    const y = v + window.top;
    for (let u = 0; u < width; u++) {
      const x = u + window.left;
      const sx = sourceOf.a * x + sourceOf.b * y + sourceOf.c;
      const sy = sourceOf.d * x + sourceOf.e * y + sourceOf.f;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const ax = sx - x0;
      const ay = sy - y0;
      const base = (v * width + u) * channels;
      for (let c = 0; c < channels; c++) {
        const p00 = tap(source, x0, y0, c, border);
        const p01 = tap(source, x0 + 1, y0, c, border);
        const p10 = tap(source, x0, y0 + 1, c, border);
        const p11 = tap(source, x0 + 1, y0 + 1, c, border);
        const top = p00 + ax * (p01 - p00);
        const bottom = p10 + ax * (p11 - p10);
        out[base + c] = top + ay * (bottom - top);
      }
    }
  }
  return out;
}

function tap(source: FloatImage, x: number, y: number, c: number, border: readonly number[]): number {
  if (x < 0 || y < 0 || x >= source.width || y >= source.height) return border[c] ?? 0;
  return source.data[(y * source.width + x) * source.channels + c];
}
