import { UpscaleError } from './errors.js';

/**
 * An 8-bit image, row-major HWC, RGB or RGBA: what sharp's `raw()` gives and takes. Upscaling
 * works on this rather than float images so a 2048² x4 result costs one byte per channel.
 */
export interface PixelImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

export function checkPixelImage(image: PixelImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UpscaleError('upscale_image_invalid', `image size ${width}x${height} is not a positive integer size`);
  }
  if (channels !== 3 && channels !== 4) throw new UpscaleError('upscale_image_invalid', `image has ${String(channels)} channels, expected 3 or 4`);
  if (data.length !== width * height * channels) {
    throw new UpscaleError('upscale_image_invalid', `expected ${width * height * channels} bytes for ${width}x${height}x${channels}, got ${data.length}`);
  }
}

/** True when an RGBA image has any pixel that is not fully opaque. */
export function hasTransparency(image: PixelImage): boolean {
  if (image.channels === 3) return false;
  for (let i = 3; i < image.data.length; i += 4) if (image.data[i] !== 255) return true;
  return false;
}

/** Model output in [0,1] → 8 bits, clamped and rounded as Real-ESRGAN does (`(x * 255).round()`). */
export function toByte(value: number): number {
  const scaled = Math.round(value * 255);
  return scaled < 0 ? 0 : scaled > 255 ? 255 : scaled;
}
