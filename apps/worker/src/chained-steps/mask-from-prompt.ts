import { ErrorCode, type ResolvedMaskPrompt } from '@atelier/contracts';
import { blurMask, decodeMask, type MaskImage } from '@atelier/diffusion';
import { EmbeddingCache, encodeMaskPng, segment, SegmentationError, SegmentationModels } from '@atelier/segmentation';
import { ChainedStepError } from './chained-step-error.js';
import type { LocateOnnx } from './decoded-image-steps.js';

export interface PromptedMask {
  /** The mask at the generation size (blurred by mask_blur), what the pipeline inpaints. */
  readonly mask: MaskImage;
  /** The mask as SAM made it, at init_image's own size: white = selected (stored as a `mask` output). */
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  readonly score: number;
}

/**
 * Inpainting masks from clicks (`mask_prompt`): Segment Anything on init_image's own pixels
 * (points and boxes are in them), the best mask resized to the generation size exactly as a
 * `mask_image` would be. One process-wide embedding cache, so clicking again on the same image
 * runs only the decoder; models (their sessions) are kept per folder.
 */
export class PromptedMasks {
  private readonly cache = new EmbeddingCache();
  private readonly models = new Map<string, SegmentationModels>();

  constructor(private readonly maxPixels: number) {}

  async make(prompt: ResolvedMaskPrompt, initBytes: Buffer, size: { width: number; height: number; blur: number }, locate: LocateOnnx): Promise<PromptedMask> {
    const located = await locate('segmenter', prompt.model);
    if (!located) throw new ChainedStepError(ErrorCode.UnknownModel, `segmenter "${prompt.model}" is not on this worker`);
    try {
      let models = this.models.get(located.dir);
      if (!models) {
        models = await SegmentationModels.fromFolder(`${located.origin}:${located.dir}`, located.dir, this.cache);
        this.models.set(located.dir, models);
      }
      const result = await segment(initBytes, { points: prompt.points, boxes: prompt.boxes }, models);
      const best = result.masks[0];
      const png = await encodeMaskPng(best);
      const mask = await decodeMask(png, size.width, size.height, 'mask_prompt', this.maxPixels);
      return { mask: size.blur > 0 ? blurMask(mask, size.blur) : mask, png, width: best.width, height: best.height, score: best.score };
    } catch (error) {
      if (error instanceof SegmentationError) {
        const code = error.code === 'missing_segmentation_model' || error.code === 'invalid_segmentation_model' ? ErrorCode.ModelLoadFailed : ErrorCode.ValidationFailed;
        throw new ChainedStepError(code, `mask_prompt: ${error.message}`);
      }
      throw error;
    }
  }
}
