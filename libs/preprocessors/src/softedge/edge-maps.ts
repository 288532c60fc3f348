import { blurPlanes, gaussianBlur, gaussianKernelSize } from '../image/gaussian-blur.js';
import { floatResize } from '../image/float-resize.js';
import { pixelImage, type PixelImage } from '../image/pixel-image.js';

/** controlnet_aux's safe_step: quantise an edge probability into `step` + 1 levels (floor). */
export function safeStep(value: number, step = 2): number {
  return Math.trunc(Math.fround(Math.fround(value) * (step + 1))) / step;
}

/** Probability in [0,1] → uint8 as (edge * 255).clip(0, 255).astype(np.uint8) does (truncation). */
export function toEdgeByte(value: number): number {
  const scaled = value * 255;
  return scaled <= 0 ? 0 : scaled >= 255 ? 255 : Math.trunc(scaled);
}

/**
 * HED's fusion: each side output [h_i, w_i] resized (cv2 INTER_LINEAR, float) to the input size,
 * averaged, then a sigmoid in double precision.
 */
export function fuseHedSides(sides: readonly { data: Float32Array; width: number; height: number }[], width: number, height: number, safe: boolean): PixelImage {
  const sum = new Float64Array(width * height);
  for (const side of sides) {
    const resized = floatResize({ ...side, channels: 1 }, width, height, 'linear').data;
    for (let i = 0; i < sum.length; i++) sum[i] += resized[i];
  }
  const out = new Uint8Array(sum.length);
  for (let i = 0; i < sum.length; i++) {
    // np.mean over float32 stacks accumulates in float32
    const mean = Math.fround(sum[i] / sides.length);
    const edge = 1 / (1 + Math.exp(-mean));
    out[i] = toEdgeByte(safe ? safeStep(edge) : edge);
  }
  return pixelImage(width, height, 1, out);
}

/** PiDiNet's last output is already a probability; `filter` is controlnet_aux's apply_filter (> 0.5). */
export function pidinetMap(edge: Float32Array, width: number, height: number, safe: boolean, filter: boolean): PixelImage {
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    let value = filter ? (edge[i] > 0.5 ? 1 : 0) : edge[i];
    if (safe) value = safeStep(value);
    out[i] = toEdgeByte(value);
  }
  return pixelImage(width, height, 1, out);
}

/**
 * The annotators' nms(x, t, s): Gaussian-blurred (σ = s, float), kept where the pixel is a maximum
 * along any of the four 3-pixel lines through it, then 255 where above t.
 */
export function thinEdges(map: PixelImage, threshold: number, sigma: number): PixelImage {
  const { width, height } = map;
  const blurred = blurPlanes(Float32Array.from(map.data), width, height, 1, sigma, gaussianKernelSize(sigma, false));
  const out = new Uint8Array(width * height);
  const value = (x: number, y: number): number => (x < 0 || y < 0 || x >= width || y >= height ? -Infinity : blurred[y * width + x]);
  const lines = [
    [1, 0],
    [0, 1],
    [1, 1],
    [1, -1],
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = blurred[y * width + x];
      const isMaximum = lines.some(([dx, dy]) => v >= value(x - dx, y - dy) && v >= value(x + dx, y + dy));
      if (isMaximum && v > threshold) out[y * width + x] = 255;
    }
  }
  return pixelImage(width, height, 1, out);
}

/**
 * The scribble post-processing of controlnet_aux's HED and PiDiNet detectors (scribble=True), on
 * the map at its output size: nms(map, 127, 3.0), GaussianBlur σ 3, then 255 where above 4.
 */
export function scribbleFromEdges(map: PixelImage): PixelImage {
  const grey = map.channels === 1 ? map : pixelImage(map.width, map.height, 1, Uint8Array.from({ length: map.width * map.height }, (_, i) => map.data[i * 3]));
  const thinned = thinEdges(grey, 127, 3);
  const blurred = gaussianBlur(thinned, 3);
  return pixelImage(map.width, map.height, 1, blurred.data.map((v) => (v > 4 ? 255 : 0)));
}
