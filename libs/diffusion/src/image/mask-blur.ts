import type { MaskImage } from '../pipeline/images.js';

/** Separable Gaussian blur of a mask (σ = radius / 2, like A1111's mask blur), edges clamped. */
export function blurMask(mask: MaskImage, radius: number): MaskImage {
  if (radius <= 0) return mask;
  const sigma = radius / 2;
  const kernel: number[] = [];
  for (let offset = -radius; offset <= radius; offset++) kernel.push(Math.exp(-(offset * offset) / (2 * sigma * sigma)));
  const sum = kernel.reduce((total, value) => total + value, 0);
  const weights = kernel.map((value) => value / sum);
  const { width, height } = mask;
  const pass = (source: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(source.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let total = 0;
        for (let k = -radius; k <= radius; k++) {
          const sx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
          const sy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
          total += weights[k + radius] * source[sy * width + sx];
        }
        out[y * width + x] = total;
      }
    }
    return out;
  };
  return { width, height, data: pass(pass(mask.data, true), false) };
}
