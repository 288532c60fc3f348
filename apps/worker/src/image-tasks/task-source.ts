import sharp from 'sharp';
import type { ResolvedImageSource } from '@atelier/contracts';
import { InvalidImageError } from '@atelier/diffusion';
import type { ObjectStorage } from '@atelier/storage';
import type { InputLimits } from '../generation-inputs.js';
import { fetchImageBytes } from '../image-source.js';
import { PermanentTaskError } from './image-task-runner.js';

/** An 8-bit image as sharp's raw() lays it out: RGB, or RGBA when the source has alpha. */
export interface TaskPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

/**
 * Reads an image task's source: the request's image under init_image's rules (outbound address
 * rules on the worker's own connection, MAX_IMAGE_BYTES), or a generation output from storage
 * (the API checked at submission that it is the tenant's own).
 */
export class TaskSources {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly limits: InputLimits,
  ) {}

  async bytes(source: ResolvedImageSource): Promise<Buffer> {
    if (source.type === 'generation') return this.storage.get(source.key);
    try {
      return await fetchImageBytes(source.image, 'image', { policy: this.limits.policy, maxBytes: this.limits.image.maxBytes, resolve: this.limits.resolve });
    } catch (error) {
      if (error instanceof InvalidImageError) throw new PermanentTaskError('invalid_image', error.message);
      throw error;
    }
  }

  /** The source decoded to RGB(A), within MAX_IMAGE_DIMENSION and MAX_PIXELS, PNG/JPEG/WebP only. */
  async pixels(source: ResolvedImageSource): Promise<TaskPixels> {
    const bytes = await this.bytes(source);
    const { maxPixels, maxSide } = this.limits.image;
    const meta = await sharp(bytes, { limitInputPixels: false })
      .metadata()
      .catch(() => undefined);
    if (!meta?.format || !['png', 'jpeg', 'webp'].includes(meta.format)) throw new PermanentTaskError('invalid_image', 'image: is not a PNG, JPEG or WebP image');
    const { width = 0, height = 0 } = meta;
    if (width > maxSide || height > maxSide) throw new PermanentTaskError('invalid_image', `image: is ${width}×${height}; the limit is ${maxSide} pixels per side`);
    if (width * height > maxPixels) throw new PermanentTaskError('invalid_image', `image: is ${width}×${height}; the limit is ${maxPixels} pixels (MAX_PIXELS)`);
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace('srgb')
      // 16-bit PNGs come out as 8-bit samples, like every other source.
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
      .catch((error: Error) => {
        throw new PermanentTaskError('invalid_image', `image: not a readable image (${error.message})`);
      });
    if (info.channels !== 3 && info.channels !== 4) throw new PermanentTaskError('invalid_image', `image: decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
}
