import { decodeControlImage, hwc3, PreprocessError, toPixelImage, type PixelImage } from '@atelier/preprocessors';
import { SegmentationError } from './errors.js';
import { binarize } from './mask-postprocess.js';
import { parsePrompts } from './prompts.js';
import { parseSegmentOptions } from './segment-options.js';
import type { SegmentationModels } from './segmentation-models.js';

/** A binary mask at the original image's size, one byte per pixel: 255 selected, 0 not. */
export interface SegmentationMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  /** The decoder's predicted IoU for this mask. */
  readonly score: number;
}

export interface SegmentationResult {
  /** The best mask alone (output "best"), or the multimask candidates in the decoder's order (output "all"). */
  readonly masks: readonly SegmentationMask[];
  /** Whether the image embeddings came from the cache (only the decoder ran). */
  readonly embeddingsCached: boolean;
  readonly layout: 'official' | 'transformers';
}

/** An 8-bit image (grey or RGB) or encoded PNG/JPEG/WebP bytes. */
export type SegmentationImage = PixelImage | Buffer;

async function rgbImage(image: SegmentationImage, field: string): Promise<PixelImage> {
  try {
    return Buffer.isBuffer(image) ? await decodeControlImage(image, field) : hwc3(toPixelImage(image, field));
  } catch (error) {
    if (error instanceof PreprocessError) throw new SegmentationError('invalid_segmentation_image', field, error.message);
    throw error;
  }
}

/**
 * Segment Anything: `prompts` (validated here: points and at most one box, in the image's pixels)
 * → binary masks at the image's size with their scores. The encoder runs once per image and model
 * (its embeddings cached by pixel hash, per `cacheScope`); each further prompt on that image runs only the decoder.
 */
export async function segment(image: SegmentationImage, prompts: unknown, models: SegmentationModels, options: unknown = {}, cacheScope = ''): Promise<SegmentationResult> {
  const { output } = parseSegmentOptions(options);
  const pixels = await rgbImage(image, 'image');
  const parsed = parsePrompts(prompts, pixels);
  const decoder = await models.decoder();
  decoder.checkPrompts(parsed);
  const { value: embeddings, cached } = await models.embeddings(pixels, cacheScope);
  const candidates = await decoder.decode(embeddings, parsed, pixels);
  const chosen = output === 'best' ? [candidates.best] : candidates.multimask;
  const masks = chosen.map((index) => ({
    width: pixels.width,
    height: pixels.height,
    data: binarize(candidates.logits(index)),
    score: candidates.scores[index],
  }));
  return { masks, embeddingsCached: cached, layout: decoder.layout };
}
