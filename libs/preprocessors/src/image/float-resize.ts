import { separableTaps } from './cv-resize.js';

/** A float image, row-major HWC (depth maps, normalised model inputs). */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/**
 * cv2.resize on float32 (INTER_CUBIC or INTER_LINEAR: no fixed point, replicated borders). Linear
 * here is also torch's F.interpolate(mode="bilinear", align_corners=False) away from the borders.
 */
export function floatResize(image: FloatImage, width: number, height: number, interpolation: 'cubic' | 'linear'): FloatImage {
  if (width === image.width && height === image.height) return image;
  const taps = interpolation === 'cubic' ? 4 : 2;
  const xs = separableTaps(image.width, width, taps, interpolation);
  const ys = separableTaps(image.height, height, taps, interpolation);
  const { channels } = image;
  const horizontal = new Float32Array(image.height * width * channels);
  for (let y = 0; y < image.height; y++) {
    for (let d = 0; d < width; d++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < taps; k++) {
          const sx = Math.min(image.width - 1, Math.max(0, xs.first[d] + k));
          sum += image.data[(y * image.width + sx) * channels + c] * xs.weights[d * taps + k];
        }
        horizontal[(y * width + d) * channels + c] = sum;
      }
    }
  }
  const out = new Float32Array(width * height * channels);
  for (let d = 0; d < height; d++) {
    for (let i = 0; i < width * channels; i++) {
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        const sy = Math.min(image.height - 1, Math.max(0, ys.first[d] + k));
        sum += horizontal[sy * width * channels + i] * ys.weights[d * taps + k];
      }
      out[d * width * channels + i] = sum;
    }
  }
  return { width, height, channels, data: out };
}
