import type { PixelImage } from '../image/pixel-image.js';

/** Per-pixel gradient of the channel with the largest L1 magnitude, as OpenCV's Canny picks it. */
export interface Gradient {
  readonly width: number;
  readonly height: number;
  readonly dx: Int16Array;
  readonly dy: Int16Array;
  /** |dx| + |dy| */
  readonly magnitude: Int32Array;
}

/**
 * 3x3 Sobel (aperture 3) with replicated borders on every channel; for several channels each
 * pixel keeps the channel whose |dx| + |dy| is strictly largest (the first on ties), which is what
 * cv2.Canny does with a 3-channel image.
 */
export function sobelGradient(image: PixelImage): Gradient {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const dx = new Int16Array(plane);
  const dy = new Int16Array(plane);
  const magnitude = new Int32Array(plane).fill(-1);
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const row = y * width;
    const down = (y < height - 1 ? y + 1 : y) * width;
    for (let x = 0; x < width; x++) {
      const left = x > 0 ? x - 1 : 0;
      const right = x < width - 1 ? x + 1 : x;
      const at = row + x;
      for (let c = 0; c < channels; c++) {
        const p = (index: number): number => data[index * channels + c];
        const gx =
          p(up + right) - p(up + left) + 2 * (p(row + right) - p(row + left)) + p(down + right) - p(down + left);
        const gy =
          p(down + left) - p(up + left) + 2 * (p(down + x) - p(up + x)) + p(down + right) - p(up + right);
        const m = Math.abs(gx) + Math.abs(gy);
        if (m > magnitude[at]) {
          magnitude[at] = m;
          dx[at] = gx;
          dy[at] = gy;
        }
      }
    }
  }
  return { width, height, dx, dy, magnitude };
}
