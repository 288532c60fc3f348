import { pixelImage, type PixelImage } from './pixel-image.js';

/** cv2.GaussianBlur's kernel size for ksize (0, 0): 3σ each side for 8-bit images, 4σ for float. */
export function gaussianKernelSize(sigma: number, eightBit: boolean): number {
  return Math.round(sigma * (eightBit ? 3 : 4) * 2 + 1) | 1;
}

/** cv2.getGaussianKernel for σ > 0: sampled, normalised to sum 1. */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const kernel = new Float64Array(size);
  const centre = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    kernel[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
    sum += kernel[i];
  }
  for (let i = 0; i < size; i++) kernel[i] /= sum;
  return kernel;
}

/** OpenCV's default border (BORDER_REFLECT_101): gfedcb|abcdefgh|gfedcba. */
function reflect101(index: number, length: number): number {
  if (length === 1) return 0;
  let i = index;
  while (i < 0 || i >= length) i = i < 0 ? -i : 2 * length - 2 - i;
  return i;
}

/** Separable Gaussian on interleaved float planes (rows then columns, reflect-101 borders). */
export function blurPlanes(data: Float32Array, width: number, height: number, channels: number, sigma: number, size: number): Float32Array {
  const kernel = gaussianKernel(size, sigma);
  const half = (size - 1) / 2;
  const rows = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += kernel[k] * data[(y * width + reflect101(x + k - half, width)) * channels + c];
        rows[(y * width + x) * channels + c] = sum;
      }
    }
  }
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += kernel[k] * rows[(reflect101(y + k - half, height) * width + x) * channels + c];
        out[(y * width + x) * channels + c] = sum;
      }
    }
  }
  return out;
}

/**
 * cv2.GaussianBlur(image, (0, 0), sigma) on 8 bits. OpenCV rounds a fixed-point sum; this rounds
 * a double one, so single pixels may differ by 1.
 */
export function gaussianBlur(image: PixelImage, sigma: number): PixelImage {
  const blurred = blurPlanes(Float32Array.from(image.data), image.width, image.height, image.channels, sigma, gaussianKernelSize(sigma, true));
  const out = new Uint8Array(blurred.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(blurred[i])));
  return pixelImage(image.width, image.height, image.channels, out);
}
