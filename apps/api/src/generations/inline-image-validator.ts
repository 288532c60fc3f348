import { Inject, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import type { ResolvedGeneration } from '#libs/contracts/src/index.js';
import { ApiError } from '../common/api-error.js';

const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp']);

/**
 * Inline (base64 / data: URL) images are checked before anything is queued: byte size, format and
 * the dimensions declared in the header, read without decoding pixels, so a decompression bomb
 * is refused with a 400 instead of exhausting a worker. URL images are checked by the worker.
 */
@Injectable()
export class InlineImageValidator {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async check(request: ResolvedGeneration): Promise<void> {
    for (const field of ['init_image', 'mask_image'] as const) {
      const value = request[field];
      if (!value || /^https?:\/\//.test(value)) continue;
      const bytes = Buffer.from(value.replace(/^data:image\/[a-z+]+;base64,/, '').replace(/\s+/g, ''), 'base64');
      const { MAX_IMAGE_BYTES: maxBytes, MAX_IMAGE_DIMENSION: maxSide } = this.config.env;
      if (bytes.length > maxBytes) throw ApiError.field(field, `is ${bytes.length} bytes; the limit is ${maxBytes}`);
      const meta = await sharp(bytes, { limitInputPixels: false })
        .metadata()
        .catch(() => undefined);
      if (!meta?.format || !ACCEPTED_FORMATS.has(meta.format)) throw ApiError.field(field, 'is not a PNG, JPEG or WebP image');
      if ((meta.width ?? 0) > maxSide || (meta.height ?? 0) > maxSide) {
        throw ApiError.field(field, `is ${meta.width}×${meta.height}; the limit is ${maxSide} pixels per side`);
      }
    }
  }
}
