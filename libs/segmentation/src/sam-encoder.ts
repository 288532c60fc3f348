import type { ModelSession, PixelImage } from '@atelier/preprocessors';
import * as ort from 'onnxruntime-node';
import { encoderInput } from './encoder-input.js';
import { SegmentationError } from './errors.js';
import { floatOutputOf, openSamSession } from './model-session.js';
import { SAM_IMAGE_SIZE } from './sam-transform.js';

/** What the decoder needs from the encoder: its embeddings (and positional embeddings where exported). */
export interface ImageEmbeddings {
  readonly embeddings: Float32Array;
  readonly embeddingDims: readonly number[];
  /** transformers.js encoders also output `image_positional_embeddings`, which their decoder takes. */
  readonly positional: { readonly data: Float32Array; readonly dims: readonly number[] } | null;
}

export function embeddingBytes(value: ImageEmbeddings): number {
  return value.embeddings.byteLength + (value.positional?.data.byteLength ?? 0);
}

const ENCODER_INPUTS = ['x', 'pixel_values'] as const;
const POSITIONAL = 'image_positional_embeddings';

/** SAM / MobileSAM / SlimSAM image encoder: `x` or `pixel_values` [1,3,1024,1024] → `image_embeddings` [1,256,64,64]. */
export class SamEncoder {
  private runCount = 0;

  private constructor(
    private readonly model: ModelSession,
    private readonly field: string,
  ) {}

  static async open(file: string, field = 'models.encoder'): Promise<SamEncoder> {
    const model = await openSamSession(file, field, ENCODER_INPUTS);
    if (!ENCODER_INPUTS.some((name) => name === model.inputName)) {
      throw new SegmentationError('invalid_segmentation_model', field, `expected an input named x or pixel_values, found ${model.session.inputNames.join(', ')}`);
    }
    if (!model.outputNames.includes('image_embeddings')) {
      throw new SegmentationError('invalid_segmentation_model', field, `expected an output named image_embeddings, found ${model.outputNames.join(', ')}`);
    }
    return new SamEncoder(model, field);
  }

  /** How many times the encoder has run: the embedding cache's effect, observable. */
  get runs(): number {
    return this.runCount;
  }

  async encode(image: PixelImage): Promise<ImageEmbeddings> {
    const input = new ort.Tensor('float32', encoderInput(image), [1, 3, SAM_IMAGE_SIZE, SAM_IMAGE_SIZE]);
    this.runCount++;
    const outputs = await this.model.session.run({ [this.model.inputName]: input });
    const embeddings = floatOutputOf(outputs, 'image_embeddings', this.field);
    const positional = this.model.outputNames.includes(POSITIONAL) ? floatOutputOf(outputs, POSITIONAL, this.field) : null;
    // Copies: the cache keeps these past the session's next run.
    return {
      embeddings: embeddings.data.slice(),
      embeddingDims: embeddings.dims,
      positional: positional ? { data: positional.data.slice(), dims: positional.dims } : null,
    };
  }
}
