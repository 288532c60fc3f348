import type { TrainingExample, TrainingImage } from '../dataset/training-example.js';

export const MAGENTA = [1, 0, 1] as const;
export const GREEN = [0, 1, 0] as const;

/** A magenta-and-green checkerboard (HWC in [0, 1]): nothing the demo model can draw. */
export function checkerboard(size: number, cell: number, jitter = 0): TrainingImage {
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const colour = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0 ? MAGENTA : GREEN;
      for (let c = 0; c < 3; c++) {
        const wobble = jitter * Math.sin(1.7 * x + 2.3 * y + 4.1 * c);
        data[(y * size + x) * 3 + c] = Math.min(Math.max(colour[c] + wobble, 0), 1);
      }
    }
  }
  return { width: size, height: size, data };
}

/** `count` slightly different checkerboards captioned "a photo of zxq". */
export function checkerboardDataset(count: number, size = 64, cell = 16): TrainingExample[] {
  return Array.from({ length: count }, (_, i) => ({ name: `zxq/${String(i).padStart(2, '0')}.png`, image: checkerboard(size, cell, 0.02 * (i % 3)), caption: 'a photo of zxq' }));
}

/** Per-pixel mean of the images. */
export function meanImage(images: readonly TrainingImage[]): Float32Array {
  const mean = new Float32Array(images[0].data.length);
  for (const image of images) for (let i = 0; i < mean.length; i++) mean[i] += image.data[i] / images.length;
  return mean;
}

export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} ≠ ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / a.length;
}
