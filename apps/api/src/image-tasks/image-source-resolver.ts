import { Inject, Injectable } from '@nestjs/common';
import { GenerationStatus, type ResolvedImageSource } from '@atelier/contracts';
import { GenerationStore } from '@atelier/records';
import type { Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { InlineImageValidator } from '../generations/inline-image-validator.js';

export interface ImageSourceFields {
  readonly image?: string;
  readonly generation_id?: string;
  readonly output_index?: number;
}

export interface CheckedImageSource {
  readonly source: ResolvedImageSource;
  /** Known at submit time for inline images and generation outputs; a URL's is read by the worker. */
  readonly size: { readonly width: number; readonly height: number } | undefined;
}

/**
 * The source of an upscale, face restoration or segmentation: an image under init_image's rules,
 * or an output of the caller's own succeeded generation (another tenant's id reads like a
 * missing one: a 400 naming `generation_id` either way).
 */
@Injectable()
export class ImageSourceResolver {
  constructor(
    @Inject(InlineImageValidator) private readonly images: InlineImageValidator,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
  ) {}

  async resolve(principal: Principal, body: ImageSourceFields): Promise<CheckedImageSource> {
    if (body.generation_id === undefined) {
      const image = body.image as string;
      return { source: { type: 'image', image }, size: await this.images.checkSource(image, 'image') };
    }
    const record = await this.generations.get(body.generation_id);
    if (!record || record.tenant !== principal.tenant) throw ApiError.field('generation_id', `no generation ${body.generation_id}`);
    if (record.status !== GenerationStatus.Succeeded) throw ApiError.field('generation_id', `generation ${body.generation_id} is ${record.status}; only a succeeded generation has outputs`);
    const index = body.output_index ?? 0;
    const output = record.outputs.find((each) => each.index === index);
    if (!output) throw ApiError.field('output_index', `generation ${body.generation_id} has ${record.outputs.length} output(s); there is no index ${index}`);
    return {
      source: { type: 'generation', generation_id: body.generation_id, output_index: index, key: output.key, width: output.width, height: output.height },
      size: { width: output.width, height: output.height },
    };
  }
}
