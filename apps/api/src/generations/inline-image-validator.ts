import { Inject, Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { APP_CONFIG, sourceImageLimits, type AppConfig, type SourceImageLimits } from '@atelier/config';
import type { ResolvedGeneration } from '@atelier/contracts';
import { checkOutboundUrl, farmPolicies, OutboundError, type OutboundPolicy } from '@atelier/outbound';
import { ApiError } from '../common/api-error.js';

const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp']);

/**
 * Source images (init_image, mask_image, every ControlNet and IP-Adapter image) are checked before anything is queued. Inline ones (base64 / data: URL): byte
 * size, format and the dimensions declared in the header, read without decoding pixels, against
 * the same limits a worker applies, so a decompression bomb or an oversized picture is a 400
 * rather than a failed job. URL ones: the farm's outbound rules that need no DNS (scheme,
 * credentials, an address literal in a forbidden range in any spelling); host names are checked
 * by the worker's guarded client, on the address it connects to.
 */
@Injectable()
export class InlineImageValidator {
  private readonly limits: SourceImageLimits;
  private readonly policy: OutboundPolicy;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limits = sourceImageLimits(config.env);
    this.policy = farmPolicies(config.env).images;
  }

  /** `fieldPrefix` makes errors name the field where the caller sent it (`requests.3.`). */
  async check(request: ResolvedGeneration, fieldPrefix = ''): Promise<void> {
    const sources: Array<[string, string | undefined]> = [
      ['init_image', request.init_image],
      ['mask_image', request.mask_image],
      ...(request.controlnets ?? []).map((unit, index): [string, string] => [`controlnets.${index}.image`, unit.image]),
      ...(request.ip_adapter?.images ?? []).map((image, index): [string, string] => [`ip_adapter.images.${index}`, image]),
    ];
    for (const [name, value] of sources) {
      const field = `${fieldPrefix}${name}`;
      if (value) await this.checkSource(value, field);
    }
  }

  /**
   * One source image (init_image, mask_image, an image task's image) against the same rules; an
   * inline image's size (read from its header) is returned, a URL's is not known yet.
   */
  async checkSource(value: string, field: string): Promise<{ width: number; height: number } | undefined> {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      this.checkUrl(value, field);
      return undefined;
    }
    return this.checkInline(value, field);
  }

  private checkUrl(value: string, field: string): void {
    try {
      checkOutboundUrl(value, this.policy);
    } catch (error) {
      if (error instanceof OutboundError) throw ApiError.field(field, error.message);
      throw error;
    }
  }

  private async checkInline(value: string, field: string): Promise<{ width: number; height: number }> {
    const { maxBytes, maxSide, maxPixels } = this.limits;
    const bytes = Buffer.from(value.replace(/^data:image\/[a-z+]+;base64,/, '').replace(/\s+/g, ''), 'base64');
    if (bytes.length > maxBytes) throw ApiError.field(field, `is ${bytes.length} bytes; the limit is ${maxBytes}`);
    const meta = await sharp(bytes, { limitInputPixels: false })
      .metadata()
      .catch(() => undefined);
    if (!meta?.format || !ACCEPTED_FORMATS.has(meta.format)) throw ApiError.field(field, 'is not a PNG, JPEG or WebP image');
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (width > maxSide || height > maxSide) throw ApiError.field(field, `is ${width}×${height}; the limit is ${maxSide} pixels per side`);
    if (width * height > maxPixels) throw ApiError.field(field, `is ${width}×${height} (${width * height} pixels); the limit is ${maxPixels} pixels (MAX_PIXELS)`);
    return { width, height };
  }
}
