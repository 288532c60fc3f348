/**
 * Where generated images and other artifacts live. Two drivers implement it (LocalStorage for a
 * single machine or dev, S3Storage for anything S3-compatible) and must behave identically; the
 * shared contract suite in `testing/object-storage-contract.ts` is the definition of "identically".
 *
 * Keys are '/'-separated paths such as `generations/<id>/0.png`; see `object-key.ts` for the rules.
 */
export interface ObjectStorage {
  /** Creates or replaces the object; a retried job may call it again with the same key. */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /**
   * Creates or replaces the object from a stream without holding it in memory (uploads of model
   * weights, datasets): a reader sees the old object or the complete new one, never a part. If the
   * stream fails, the put fails with that error and nothing is stored.
   */
  putStream(key: string, body: NodeJS.ReadableStream, contentType: string): Promise<void>;
  /** @throws ObjectNotFoundError when there is no object under `key`. */
  get(key: string): Promise<Buffer>;
  /** The object as a stream, for objects too large to hold in memory (model weights). @throws ObjectNotFoundError */
  openReadStream(key: string): Promise<NodeJS.ReadableStream>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` (no delimiter semantics: nested keys included), sorted. */
  list(prefix: string): Promise<string[]>;
  /** A URL anyone can GET, without credentials, until roughly `expiresInSeconds` from now. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /** A URL that accepts one HTTP PUT of the object's bytes until expiry (dataset uploads). */
  presignPut(key: string, contentType: string, expiresInSeconds: number): Promise<string>;
  /** Readiness probe. @throws StorageUnavailableError when the backend cannot be used. */
  ping(): Promise<void>;
  /** Human-readable target for logs; never contains credentials. */
  describe(): string;
}
