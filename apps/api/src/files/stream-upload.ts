import { pipeline, Transform } from 'node:stream';
import type { Request } from 'express';
import type { LocalStorage } from '@atelier/storage';

/** Raised (into the stream) when a presigned PUT sends more than its limit. */
export class UploadTooLargeError extends Error {
  readonly code = 'body_too_large';
  constructor(readonly maxBytes: number) {
    super(`uploads are limited to ${maxBytes} bytes`);
    this.name = 'UploadTooLargeError';
  }
}

/**
 * The body of a presigned PUT streamed into storage (scratch file, then an atomic rename): memory
 * stays at a few chunks whatever the size, and an upload that goes over `maxBytes` or breaks off
 * stores nothing.
 */
export async function streamUploadToStorage(request: Request, storage: LocalStorage, key: string, contentType: string, maxBytes: number): Promise<void> {
  const declared = Number(request.header('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new UploadTooLargeError(maxBytes);
  let size = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) done(new UploadTooLargeError(maxBytes));
      else done(null, chunk);
    },
  });
  // pipeline (not pipe): a client that breaks off fails the put instead of leaving it waiting.
  await storage.putStream(key, pipeline(request, capped, () => undefined), contentType);
}
