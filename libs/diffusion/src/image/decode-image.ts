import sharp from 'sharp';
import type { MaskImage, RgbImage } from '../pipeline/images.js';

export class InvalidImageError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidImageError';
  }
}

const ALLOWED_FORMATS = new Set(['png', 'jpeg', 'webp']);

/** Decodes PNG/JPEG/WebP bytes, resized (cover) to the generation size, as float RGB. */
export async function decodeRgb(bytes: Buffer, width: number, height: number, field: string, maxPixels: number): Promise<RgbImage> {
  const image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' });
  const meta = await image.metadata().catch((error: Error) => {
    throw new InvalidImageError(field, `not a readable image (${error.message})`);
  });
  if (!meta.format || !ALLOWED_FORMATS.has(meta.format)) throw new InvalidImageError(field, `format ${meta.format ?? 'unknown'} is not accepted (png, jpeg, webp)`);
  const { data } = await image
    .removeAlpha()
    .resize(width, height, { fit: 'cover' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new InvalidImageError(field, error.message);
    });
  const pixels = new Float32Array(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = data[i] / 255;
  return { width, height, data: pixels };
}

/** Decodes a mask (white = change) to one channel in [0, 1]. */
export async function decodeMask(bytes: Buffer, width: number, height: number, field: string, maxPixels: number): Promise<MaskImage> {
  const pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).removeAlpha().resize(width, height, { fit: 'cover' }).greyscale();
  const { data } = await pipeline.raw().toBuffer({ resolveWithObject: true }).catch((error: Error) => {
    throw new InvalidImageError(field, `not a readable image (${error.message})`);
  });
  const mask = new Float32Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i] / 255;
  return { width, height, data: mask };
}
