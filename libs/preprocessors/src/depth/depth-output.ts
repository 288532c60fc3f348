import { floatResize } from '../image/float-resize.js';
import { pixelImage, type PixelImage } from '../image/pixel-image.js';

/**
 * Raw depth [h, w] → 8 bits at the detect size: bilinear back to the detect size (as the Depth
 * Anything annotator's F.interpolate does; a no-op for MiDaS, which predicts at that size), then
 * min-max normalised: (d - min) / (max - min) * 255, truncated to uint8 as astype(np.uint8) does.
 */
export function normaliseDepth(depth: Float32Array, width: number, height: number, outWidth: number, outHeight: number): PixelImage {
  const resized = floatResize({ width, height, channels: 1, data: depth }, outWidth, outHeight, 'linear').data;
  let min = Infinity;
  let max = -Infinity;
  for (const value of resized) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const range = max - min;
  const out = new Uint8Array(resized.length);
  for (let i = 0; i < resized.length; i++) {
    const value = range > 0 ? ((resized[i] - min) / range) * 255 : 0;
    out[i] = value < 0 ? 0 : value > 255 ? 255 : Math.trunc(value);
  }
  return pixelImage(outWidth, outHeight, 1, out);
}
