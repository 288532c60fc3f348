import { gaussianBlur } from '../image/gaussian-blur.js';
import { pixelImage, type PixelImage } from '../image/pixel-image.js';
import { sobelGradient } from './sobel.js';

export interface CannyOptions {
  /** Gradient magnitudes above this that touch a strong edge are kept. */
  readonly lowThreshold: number;
  /** Gradient magnitudes above this start an edge. */
  readonly highThreshold: number;
  /**
   * Gaussian pre-blur sigma; 0 (the default) blurs nothing, which is what cv2.Canny and
   * controlnet_aux's CannyDetector do (they leave smoothing to the caller).
   */
  readonly blurSigma?: number;
}

/** tan(22.5°) in OpenCV's 15-bit fixed point: the direction bins of the suppression step. */
const CANNY_SHIFT = 15;
const TG22 = Math.floor((Math.SQRT2 - 1) * (1 << CANNY_SHIFT) + 0.5);

/** Edge-map states while tracing, as OpenCV names them. */
const MAYBE = 0;
const NOT_EDGE = 1;
const EDGE = 2;

/**
 * Canny edges as cv2.Canny(image, low, high) computes them (aperture 3, L1 gradient): Sobel,
 * non-maximum suppression in four direction bins with OpenCV's tie rules, double threshold, and
 * hysteresis over 8-neighbours. Grey or RGB in, one channel of 0/255 out.
 */
export function canny(source: PixelImage, options: CannyOptions): PixelImage {
  let low = options.lowThreshold;
  let high = options.highThreshold;
  if (low > high) [low, high] = [high, low];
  low = Math.floor(low);
  high = Math.floor(high);
  const image = options.blurSigma ? gaussianBlur(source, options.blurSigma) : source;
  const { width, height, dx, dy, magnitude } = sobelGradient(image);

  // The map has a one-pixel frame of NOT_EDGE so the tracing never leaves the image.
  const mapWidth = width + 2;
  const map = new Uint8Array(mapWidth * (height + 2)).fill(NOT_EDGE);
  const at = (x: number, y: number): number => (y + 1) * mapWidth + x + 1;
  const mag = (x: number, y: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : magnitude[y * width + x];
  const stack: number[] = [];

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = y * width + x;
      const m = magnitude[index];
      if (m <= low || !isLocalMaximum(m, dx[index], dy[index], x, y, mag)) continue;
      const cell = at(x, y);
      if (m > high) {
        map[cell] = EDGE;
        stack.push(cell);
      } else {
        map[cell] = MAYBE;
      }
    }
  }

  const neighbours = [-mapWidth - 1, -mapWidth, -mapWidth + 1, -1, 1, mapWidth - 1, mapWidth, mapWidth + 1];
  while (stack.length > 0) {
    const cell = stack.pop() as number;
    for (const offset of neighbours) {
      if (map[cell + offset] === MAYBE) {
        map[cell + offset] = EDGE;
        stack.push(cell + offset);
      }
    }
  }

  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (map[at(x, y)] === EDGE) out[y * width + x] = 255;
  }
  return pixelImage(width, height, 1, out);
}

/** OpenCV's suppression: strict against one neighbour, non-strict against the other, per bin. */
function isLocalMaximum(m: number, gx: number, gy: number, x: number, y: number, mag: (x: number, y: number) => number): boolean {
  const ax = Math.abs(gx);
  const ay = Math.abs(gy) * (1 << CANNY_SHIFT);
  const tg22x = ax * TG22;
  if (ay < tg22x) return m > mag(x - 1, y) && m >= mag(x + 1, y);
  const tg67x = tg22x + ax * (1 << (CANNY_SHIFT + 1));
  if (ay > tg67x) return m > mag(x, y - 1) && m >= mag(x, y + 1);
  const s = (gx < 0) !== (gy < 0) ? -1 : 1;
  return m > mag(x - s, y - 1) && m > mag(x + s, y + 1);
}
