import { access } from 'node:fs/promises';
import path from 'node:path';
import type { PixelImage } from '@atelier/preprocessors';
import { EmbeddingCache, embeddingKey } from './embedding-cache.js';
import { SegmentationError } from './errors.js';
import { SamDecoder } from './sam-decoder.js';
import { SamEncoder, type ImageEmbeddings } from './sam-encoder.js';

/** One SAM model: its id (part of the embedding cache key) and its two ONNX files. */
export interface SegmentationModelFiles {
  readonly id: string;
  readonly encoder: string;
  readonly decoder: string;
}

/**
 * File names looked for in a model folder, in order: our own names (any SAM / MobileSAM / SlimSAM
 * export renamed), then the transformers.js repository layout (Xenova/sam-vit-base,
 * Xenova/slimsam-77-uniform, ...).
 */
export const ENCODER_FILES = ['encoder.onnx', 'vision_encoder.onnx', 'onnx/vision_encoder.onnx'] as const;
export const DECODER_FILES = ['decoder.onnx', 'prompt_encoder_mask_decoder.onnx', 'onnx/prompt_encoder_mask_decoder.onnx'] as const;

async function firstExisting(folder: string, names: readonly string[], field: string): Promise<string> {
  for (const name of names) {
    const file = path.join(folder, name);
    if (await access(file).then(() => true, () => false)) return file;
  }
  throw new SegmentationError('missing_segmentation_model', field, `none of ${names.join(', ')} in ${folder}`);
}

/**
 * Opens a model's encoder and decoder once and keeps them; holds the embedding cache (shareable
 * between models: keys carry the model id). One instance per model per worker process.
 */
export class SegmentationModels {
  private encoderSession: Promise<SamEncoder> | null = null;
  private decoderSession: Promise<SamDecoder> | null = null;

  constructor(
    readonly files: SegmentationModelFiles,
    readonly cache: EmbeddingCache = new EmbeddingCache(),
  ) {}

  /** A folder holding `encoder.onnx` + `decoder.onnx` or the transformers.js `onnx/` layout. */
  static async fromFolder(id: string, folder: string, cache?: EmbeddingCache): Promise<SegmentationModels> {
    const encoder = await firstExisting(folder, ENCODER_FILES, 'models.encoder');
    const decoder = await firstExisting(folder, DECODER_FILES, 'models.decoder');
    return new SegmentationModels({ id, encoder, decoder }, cache);
  }

  encoder(): Promise<SamEncoder> {
    this.encoderSession ??= retryable(SamEncoder.open(this.files.encoder), () => (this.encoderSession = null));
    return this.encoderSession;
  }

  decoder(): Promise<SamDecoder> {
    this.decoderSession ??= retryable(SamDecoder.open(this.files.decoder), () => (this.decoderSession = null));
    return this.decoderSession;
  }

  /** Encoder runs so far (0 before the encoder is opened). */
  async encoderRuns(): Promise<number> {
    return this.encoderSession ? (await this.encoderSession).runs : 0;
  }

  /**
   * The image's embeddings, from the cache when this model has seen these pixels in this
   * `scope` (e.g. a tenant: one party's clicks never reveal, by a cache hit, another's image).
   */
  async embeddings(image: PixelImage, scope = ''): Promise<{ value: ImageEmbeddings; cached: boolean }> {
    const key = embeddingKey(image, scope ? `${this.files.id}@${scope}` : this.files.id);
    return this.cache.getOrCompute(key, async () => (await this.encoder()).encode(image));
  }
}

/** A failed open is not kept: the file may be fixed and the call retried. */
function retryable<T>(pending: Promise<T>, forget: () => void): Promise<T> {
  pending.catch(forget);
  return pending;
}
