import sharp from 'sharp';
import { encodeOutput, type OutputFormat } from '@atelier/diffusion';
import type { TaskImage } from './image-task-runner.js';
import type { TaskPixels } from './task-source.js';

/**
 * An RGB(A) result encoded as the request's output format: RGB through the generation outputs'
 * encoder (parameters in a PNG text chunk or EXIF), RGBA with sharp (PNG and WebP keep alpha;
 * JPEG has none, so alpha is flattened onto white).
 */
export async function encodeTaskImage(kind: string, image: TaskPixels, format: OutputFormat, parameters: string): Promise<TaskImage> {
  const { width, height } = image;
  if (image.channels === 3) {
    const encoded = await encodeOutput(image.data, width, height, format, 95, parameters);
    return { kind, bytes: encoded.bytes, contentType: encoded.contentType, extension: encoded.extension, width, height };
  }
  const raw = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width, height, channels: 4 } });
  if (format === 'png') return { kind, bytes: await raw.png().toBuffer(), contentType: 'image/png', extension: 'png', width, height };
  if (format === 'webp') return { kind, bytes: await raw.webp({ quality: 95 }).toBuffer(), contentType: 'image/webp', extension: 'webp', width, height };
  return { kind, bytes: await raw.flatten({ background: '#ffffff' }).jpeg({ quality: 95, mozjpeg: true }).toBuffer(), contentType: 'image/jpeg', extension: 'jpg', width, height };
}

/** The model's result resized to the requested size (a scale below the model's), Lanczos as A1111 does. */
export async function resizePixels(image: TaskPixels, width: number, height: number): Promise<TaskPixels> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: image.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
