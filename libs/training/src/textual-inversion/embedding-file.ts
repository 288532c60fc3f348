// Textual-inversion embeddings in A1111's safetensors layout for SD 1.x: one tensor `emb_params`
// [vectors, width], each row a token embedding the text encoder's table gets appended. This is
// what @atelier/adapters reads (and A1111, ComfyUI and diffusers' load_textual_inversion).
import { float32Tensor, parseSafetensors, serializeSafetensors, tensorToFloat32 } from '@atelier/model-formats';

export const A1111_EMBEDDING_TENSOR = 'emb_params';

export class EmbeddingFileError extends Error {
  readonly code = 'invalid_embedding_file';
  constructor(reason: string) {
    super(`not a usable embedding file: ${reason}`);
    this.name = 'EmbeddingFileError';
  }
}

export interface EmbeddingRows {
  /** Row-major [count, width]. */
  readonly rows: Float32Array;
  readonly count: number;
  readonly width: number;
}

export function serializeEmbedding(embedding: EmbeddingRows, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  if (embedding.rows.length !== embedding.count * embedding.width) throw new RangeError(`${embedding.rows.length} values are not ${embedding.count} × ${embedding.width}`);
  return serializeSafetensors({ [A1111_EMBEDDING_TENSOR]: float32Tensor(embedding.rows, [embedding.count, embedding.width]) }, metadata);
}

export function parseEmbedding(bytes: Uint8Array, expected: { readonly count: number; readonly width: number }): EmbeddingRows & { readonly metadata: Readonly<Record<string, string>> } {
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    throw new EmbeddingFileError(`invalid safetensors (${(error as Error).message})`);
  }
  const entry = file.tensors.get(A1111_EMBEDDING_TENSOR);
  if (entry === undefined) throw new EmbeddingFileError(`no ${A1111_EMBEDDING_TENSOR} tensor`);
  if (entry.shape.length !== 2 || entry.shape[0] !== expected.count || entry.shape[1] !== expected.width) {
    throw new EmbeddingFileError(`${A1111_EMBEDDING_TENSOR} is [${entry.shape.join(', ')}], expected [${expected.count}, ${expected.width}]`);
  }
  const rows = Float32Array.from(tensorToFloat32(entry));
  if (!rows.every(Number.isFinite)) throw new EmbeddingFileError('non-finite values');
  return { rows, count: expected.count, width: expected.width, metadata: file.metadata };
}
