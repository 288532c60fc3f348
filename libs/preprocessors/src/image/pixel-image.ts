import type { RgbImage } from '@atelier/diffusion';

/**
 * An 8-bit image, row-major HWC: what OpenCV and controlnet_aux work on. The preprocessors'
 * arithmetic (Sobel on uint8, truncation to uint8 after normalising) depends on 8-bit input, so
 * they take and give this rather than the pipeline's float `RgbImage`.
 */
export interface PixelImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

export function pixelImage(width: number, height: number, channels: 1 | 3, data?: Uint8Array): PixelImage {
  const size = width * height * channels;
  if (data && data.length !== size) throw new RangeError(`expected ${size} bytes for ${width}x${height}x${channels}, got ${data.length}`);
  return { width, height, channels, data: data ?? new Uint8Array(size) };
}

/** controlnet_aux's HWC3: one channel is repeated into three; three stay as they are. */
export function hwc3(image: PixelImage): PixelImage {
  if (image.channels === 3) return image;
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < image.width * image.height; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = image.data[i];
  return pixelImage(image.width, image.height, 3, out);
}

/** The pipeline's float RGB in [0,1] → 8 bits, rounding as diffusers' numpy_to_pil does. */
export function fromRgbImage(image: RgbImage): PixelImage {
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const value = Math.round(image.data[i] * 255);
    out[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  return pixelImage(image.width, image.height, 3, out);
}

/** 8 bits → the pipeline's float RGB, `png / 255` as diffusers' control image processor does. */
export function toRgbImage(image: PixelImage): RgbImage {
  const rgb = hwc3(image);
  const data = new Float32Array(rgb.data.length);
  for (let i = 0; i < data.length; i++) data[i] = rgb.data[i] / 255;
  return { width: rgb.width, height: rgb.height, data };
}

/** OpenCV's RGB2GRAY on 8 bits (fixed-point weights 4899, 9617, 1868 over 2^14, rounded). */
export function toGrey(image: PixelImage): PixelImage {
  if (image.channels === 1) return image;
  const plane = image.width * image.height;
  const out = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    out[i] = (image.data[i * 3] * 4899 + image.data[i * 3 + 1] * 9617 + image.data[i * 3 + 2] * 1868 + 8192) >> 14;
  }
  return pixelImage(image.width, image.height, 1, out);
}
