import { createHash } from 'node:crypto';
import type { PixelImage } from '@atelier/preprocessors';
import { embeddingBytes, type ImageEmbeddings } from './sam-encoder.js';

/**
 * The cache key of an image's embeddings: sha256 over the decoded pixels (with their size, so two
 * images with the same bytes in another shape differ) and the model id (another encoder gives
 * other embeddings). Decoded pixels, not file bytes: a re-encoded PNG of the same picture hits.
 */
export function embeddingKey(image: PixelImage, modelId: string): string {
  const hash = createHash('sha256');
  hash.update(`${image.width}x${image.height}x${image.channels}\n`);
  hash.update(image.data);
  return `${modelId}:${hash.digest('hex')}`;
}

/** 64 MiB: sixteen SAM images (a [1,256,64,64] float32 embedding is 4 MiB). */
export const DEFAULT_EMBEDDING_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Image embeddings by key, least recently used evicted first once the entries' bytes exceed the
 * bound, so a second click on the same image runs only the decoder. Concurrent requests for one
 * key share one encoder run.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, ImageEmbeddings>();
  private readonly pending = new Map<string, Promise<ImageEmbeddings>>();
  private total = 0;

  constructor(readonly maxBytes = DEFAULT_EMBEDDING_CACHE_BYTES) {
    if (!Number.isFinite(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The cached value (now the most recently used), or undefined. */
  get(key: string): ImageEmbeddings | undefined {
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: ImageEmbeddings): void {
    this.delete(key);
    const size = embeddingBytes(value);
    // An entry larger than the whole bound is not kept: it would evict everything and then itself.
    if (size > this.maxBytes) return;
    this.entries.set(key, value);
    this.total += size;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= embeddingBytes(entry);
    }
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (!value) return;
    this.entries.delete(key);
    this.total -= embeddingBytes(value);
  }

  /** The cached value, or `compute`'s (stored); `cached` says which. */
  async getOrCompute(key: string, compute: () => Promise<ImageEmbeddings>): Promise<{ value: ImageEmbeddings; cached: boolean }> {
    const hit = this.get(key);
    if (hit) return { value: hit, cached: true };
    const inFlight = this.pending.get(key);
    if (inFlight) return { value: await inFlight, cached: true };
    const running = compute();
    this.pending.set(key, running);
    try {
      const value = await running;
      this.set(key, value);
      return { value, cached: false };
    } finally {
      this.pending.delete(key);
    }
  }
}
