import type { RgbImage } from '@atelier/diffusion';
import sharp from 'sharp';
import { PreprocessError } from './errors.js';
import { fromRgbImage, pixelImage, type PixelImage } from './image/pixel-image.js';

/** What `preprocess` accepts: the pipeline's float RGB or an 8-bit image at any size. */
export type ControlSource = PixelImage | RgbImage;

export function toPixelImage(source: ControlSource, field = 'image'): PixelImage {
  const { width, height, data } = source;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new PreprocessError('invalid_control_image', field, `size ${width}x${height} is not an image size`);
  if (data instanceof Float32Array) {
    if (data.length !== width * height * 3) throw new PreprocessError('invalid_control_image', field, `expected ${width * height * 3} RGB values, got ${data.length}`);
    return fromRgbImage(source as RgbImage);
  }
  const channels = (source as PixelImage).channels;
  if ((channels !== 1 && channels !== 3) || data.length !== width * height * channels) {
    throw new PreprocessError('invalid_control_image', field, `expected ${width}x${height}x${String(channels)} bytes, got ${data.length}`);
  }
  return source as PixelImage;
}

/**
 * PNG/JPEG/WebP bytes at their own size, 8-bit RGB; transparency composited over white as
 * controlnet_aux's HWC3 does for RGBA.
 */
export async function decodeControlImage(bytes: Buffer, field = 'image', maxPixels = 64 * 1024 * 1024): Promise<PixelImage> {
  const decoded = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new PreprocessError('invalid_control_image', field, `not a readable image (${error.message})`);
    });
  const { data, info } = decoded;
  if (info.channels !== 3) throw new PreprocessError('invalid_control_image', field, `decoded to ${info.channels} channels`);
  return pixelImage(info.width, info.height, 3, new Uint8Array(data.buffer, data.byteOffset, data.length));
}
