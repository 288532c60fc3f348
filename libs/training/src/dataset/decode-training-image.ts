// Decodes one training image with sharp: only PNG, JPEG and WebP (checked by signature, so a
// renamed SVG or TIFF never reaches a decoder), within the size limits, EXIF orientation applied,
// resized to cover the training resolution and centre-cropped, as float RGB.
import sharp, { type Metadata } from 'sharp';
import type { TrainingImage } from './training-example.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export class ImageProblem extends Error {}

/** The format the bytes announce, or null. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const starts = (signature: readonly number[], offset = 0): boolean => signature.every((byte, i) => bytes[offset + i] === byte);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  return null;
}

export interface ImageLimits {
  readonly minWidth: number;
  readonly minHeight: number;
  readonly maxWidth: number;
  readonly maxHeight: number;
}

export async function decodeTrainingImage(bytes: Uint8Array, limits: ImageLimits, resolution: { readonly width: number; readonly height: number }): Promise<TrainingImage> {
  const format = sniffImageFormat(bytes);
  if (format === null) throw new ImageProblem('not a PNG, JPEG or WebP file');
  const image = sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxWidth * limits.maxHeight, animated: false });
  let meta: Metadata;
  try {
    meta = await image.metadata();
  } catch (error) {
    throw new ImageProblem(`does not decode (${(error as Error).message})`);
  }
  if (meta.format !== format) throw new ImageProblem(`content is ${meta.format ?? 'unknown'} but starts like ${format}`);
  const { width, height } = meta;
  if (width === undefined || height === undefined) throw new ImageProblem('has no dimensions');
  if (width < limits.minWidth || height < limits.minHeight) throw new ImageProblem(`is ${width}×${height}, smaller than the minimum ${limits.minWidth}×${limits.minHeight}`);
  if (width > limits.maxWidth || height > limits.maxHeight) throw new ImageProblem(`is ${width}×${height}, larger than the maximum ${limits.maxWidth}×${limits.maxHeight}`);
  let pixels: Buffer;
  try {
    pixels = await image
      .rotate()
      .removeAlpha()
      .resize(resolution.width, resolution.height, { fit: 'cover', position: 'centre' })
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  } catch (error) {
    throw new ImageProblem(`does not decode (${(error as Error).message})`);
  }
  const expected = resolution.width * resolution.height * 3;
  if (pixels.length !== expected) throw new ImageProblem(`decoded to ${pixels.length} bytes, expected ${expected}`);
  const data = new Float32Array(expected);
  for (let i = 0; i < expected; i++) data[i] = pixels[i] / 255;
  return { width: resolution.width, height: resolution.height, data };
}
