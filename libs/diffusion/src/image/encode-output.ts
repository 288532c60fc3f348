import sharp from 'sharp';
import { encodePng } from './png-encoder.js';

export type OutputFormat = 'png' | 'jpeg' | 'webp';

export interface EncodedImage {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly extension: string;
}

/**
 * PNG keeps the parameters in a `parameters` text chunk; JPEG and WebP carry them in EXIF
 * (ImageDescription), where image viewers and SD tools look for them.
 */
export async function encodeOutput(rgb: Uint8Array, width: number, height: number, format: OutputFormat, quality: number, parameters: string): Promise<EncodedImage> {
  if (format === 'png') return { bytes: encodePng(rgb, width, height, { parameters }), contentType: 'image/png', extension: 'png' };
  const image = sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } }).withExif({
    IFD0: { ImageDescription: parameters, Software: 'Atelier' },
  });
  if (format === 'jpeg') return { bytes: await image.jpeg({ quality, mozjpeg: true }).toBuffer(), contentType: 'image/jpeg', extension: 'jpg' };
  return { bytes: await image.webp({ quality }).toBuffer(), contentType: 'image/webp', extension: 'webp' };
}
