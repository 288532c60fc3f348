import type { ModelSession } from '@atelier/preprocessors';
import * as ort from 'onnxruntime-node';
import { SegmentationError } from './errors.js';
import { upscaleMaskLogits, type Plane } from './mask-postprocess.js';
import { floatOutputOf, inputType, numericTensor, openSamSession } from './model-session.js';
import { officialPoints, transformersPoints } from './prompt-encoding.js';
import type { SegmentationPrompts } from './prompts.js';
import type { ImageEmbeddings } from './sam-encoder.js';
import { SAM_LOW_RES_SIZE, type Size } from './sam-transform.js';

/**
 * The two decoder exports in use. official: segment-anything's scripts/export_onnx_model.py
 * (prompt encoder + mask decoder + mask post-processing in the graph). transformers: the
 * transformers.js / Optimum export of SamModel's prompt encoder and mask decoder (low-resolution
 * masks only).
 */
export type DecoderLayout = 'official' | 'transformers';

/** The masks a decoder proposes, as logits at the original size. */
export interface MaskCandidates {
  /** Candidate `index`'s logits at the original size (computed on demand: upscaling costs). */
  readonly logits: (index: number) => Plane;
  readonly scores: readonly number[];
  /** The candidate SAM itself would return as its single answer. */
  readonly best: number;
  /** The indices of the multimask candidates (the "three" masks), best first not implied. */
  readonly multimask: readonly number[];
}

const OFFICIAL_INPUTS = ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'] as const;
const TRANSFORMERS_INPUTS = ['image_embeddings', 'input_points', 'input_labels'] as const;

/** Which layout a decoder has, from its input names; null when it is neither. */
export function detectDecoderLayout(inputNames: readonly string[]): DecoderLayout | null {
  if (OFFICIAL_INPUTS.every((name) => inputNames.includes(name))) return 'official';
  if (TRANSFORMERS_INPUTS.every((name) => inputNames.includes(name))) return 'transformers';
  return null;
}

/**
 * segment-anything's SamOnnxModel.select_masks: with at most one click (plus padding, or a box
 * alone) the best of the multimask outputs; with more points the single-mask output, which SAM
 * trains for unambiguous prompts. Written as its score reweighting so ties break the same way.
 */
export function officialBest(scores: readonly number[], pointCount: number): number {
  let best = 0;
  let bestScore = -Infinity;
  scores.forEach((score, index) => {
    const weighted = score + (index === 0 ? (pointCount - 2.5) * 1000 : 0);
    if (weighted > bestScore) {
      bestScore = weighted;
      best = index;
    }
  });
  return best;
}

function argmax(values: readonly number[]): number {
  return values.reduce((best, value, index) => (value > values[best] ? index : best), 0);
}

function planes(data: Float32Array, count: number, width: number, height: number): Plane[] {
  const size = width * height;
  return Array.from({ length: count }, (_, index) => ({ width, height, data: data.subarray(index * size, (index + 1) * size) }));
}

export class SamDecoder {
  private constructor(
    private readonly model: ModelSession,
    readonly layout: DecoderLayout,
    private readonly field: string,
  ) {}

  static async open(file: string, field = 'models.decoder'): Promise<SamDecoder> {
    const model = await openSamSession(file, field, ['image_embeddings']);
    const layout = detectDecoderLayout(model.session.inputNames);
    if (!layout) {
      throw new SegmentationError(
        'invalid_segmentation_model',
        field,
        `inputs ${model.session.inputNames.join(', ')} are neither SAM's official decoder export nor the transformers.js layout`,
      );
    }
    return new SamDecoder(model, layout, field);
  }

  /** Refuses prompts this export cannot take, before any encoder time is spent on them. */
  checkPrompts(prompts: SegmentationPrompts): void {
    if (this.layout === 'transformers' && prompts.boxes.length > 0) {
      throw new SegmentationError('unsupported_segmentation_prompt', 'prompts.boxes', 'the transformers.js decoder export takes points only; use the official SAM decoder export for boxes');
    }
  }

  decode(embeddings: ImageEmbeddings, prompts: SegmentationPrompts, size: Size): Promise<MaskCandidates> {
    return this.layout === 'official' ? this.decodeOfficial(embeddings, prompts, size) : this.decodeTransformers(embeddings, prompts, size);
  }

  private type(name: string): ort.Tensor.Type {
    return inputType(this.model.session, name);
  }

  private embeddingsTensor(embeddings: ImageEmbeddings): ort.Tensor {
    return new ort.Tensor('float32', embeddings.embeddings, embeddings.embeddingDims);
  }

  private async decodeOfficial(embeddings: ImageEmbeddings, prompts: SegmentationPrompts, size: Size): Promise<MaskCandidates> {
    const points = officialPoints(prompts, size);
    const count = points.labels.length;
    const lowRes = SAM_LOW_RES_SIZE * SAM_LOW_RES_SIZE;
    const outputs = await this.model.session.run({
      image_embeddings: this.embeddingsTensor(embeddings),
      point_coords: numericTensor(this.type('point_coords'), points.coords, [1, count, 2], this.field),
      point_labels: numericTensor(this.type('point_labels'), points.labels, [1, count], this.field),
      mask_input: numericTensor(this.type('mask_input'), new Float32Array(lowRes), [1, 1, SAM_LOW_RES_SIZE, SAM_LOW_RES_SIZE], this.field),
      has_mask_input: numericTensor(this.type('has_mask_input'), [0], [1], this.field),
      orig_im_size: numericTensor(this.type('orig_im_size'), [size.height, size.width], [2], this.field),
    });
    const masks = floatOutputOf(outputs, 'masks', this.field);
    const scores = Array.from(floatOutputOf(outputs, 'iou_predictions', this.field).data);
    const [, candidates, height, width] = masks.dims;
    if (height !== size.height || width !== size.width || candidates !== scores.length) {
      throw new SegmentationError('invalid_segmentation_model', this.field, `masks [${masks.dims.join(',')}] do not match ${scores.length} scores at ${size.width}x${size.height}`);
    }
    // Four candidates: the single-mask output then the three multimask ones; an export with
    // --return-single-mask has already chosen one.
    const multimask = candidates === 4 ? [1, 2, 3] : Array.from({ length: candidates }, (_, index) => index);
    const best = candidates === 4 ? officialBest(scores, count) : argmax(scores);
    const all = planes(masks.data, candidates, width, height);
    return { logits: (index) => all[index], scores, best, multimask };
  }

  private async decodeTransformers(embeddings: ImageEmbeddings, prompts: SegmentationPrompts, size: Size): Promise<MaskCandidates> {
    this.checkPrompts(prompts);
    const points = transformersPoints(prompts, size);
    const count = points.labels.length;
    const feeds: Record<string, ort.Tensor> = {
      image_embeddings: this.embeddingsTensor(embeddings),
      input_points: numericTensor(this.type('input_points'), points.coords, [1, 1, count, 2], this.field),
      input_labels: numericTensor(this.type('input_labels'), points.labels, [1, 1, count], this.field),
    };
    if (this.model.session.inputNames.includes('image_positional_embeddings')) {
      if (!embeddings.positional) throw new SegmentationError('invalid_segmentation_model', this.field, 'the decoder takes image_positional_embeddings but the encoder does not output them');
      feeds.image_positional_embeddings = new ort.Tensor('float32', embeddings.positional.data, embeddings.positional.dims);
    }
    const outputs = await this.model.session.run(feeds);
    const predicted = floatOutputOf(outputs, 'pred_masks', this.field);
    const scores = Array.from(floatOutputOf(outputs, 'iou_scores', this.field).data);
    const height = predicted.dims[predicted.dims.length - 2];
    const width = predicted.dims[predicted.dims.length - 1];
    if (predicted.data.length !== scores.length * width * height) {
      throw new SegmentationError('invalid_segmentation_model', this.field, `pred_masks [${predicted.dims.join(',')}] do not match ${scores.length} scores`);
    }
    const lowRes = planes(predicted.data, scores.length, width, height);
    return { logits: (index) => upscaleMaskLogits(lowRes[index], size), scores, best: argmax(scores), multimask: scores.map((_, index) => index) };
  }
}
