import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HttpStatus } from '@nestjs/common';
import type { Request } from 'express';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { missingObject, ownedObjectKey } from '../common/tenant-objects.js';
import { MultipartError, readMultipartUpload, type MultipartUpload, type SpooledFile } from './multipart-upload.js';

/** The multipart body of `POST /v1/models`, its file spooled to disk; 400/413 naming the field. */
export async function readModelUpload(request: Request, boundary: string, maxFileBytes: number, extraFileFields: readonly string[] = []): Promise<MultipartUpload> {
  try {
    return await readMultipartUpload(request, boundary, { fileField: 'file', extraFileFields, maxFileBytes, maxFieldBytes: 64 * 1024, maxFields: 32 });
  } catch (error) {
    if (!(error instanceof MultipartError)) throw error;
    // The rest of the body is not read: the connection cannot be reused.
    request.res?.setHeader('Connection', 'close');
    if (error.status === 413) throw new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'body_too_large', error.message, [{ field: error.field, message: error.message }]);
    throw ApiError.field(error.field, error.message);
  }
}

/**
 * An `s3://` import source copied to a temporary file (streamed, size-capped). Only the caller's
 * own objects can be named (see ownedObjectKey); anything else is the same 404 as a missing one.
 */
export async function spoolOwnedObject(
  uri: string,
  principal: Principal,
  farmBucket: string | undefined,
  storage: ObjectStorage,
  maxBytes: number,
  field = 'source',
): Promise<{ file: SpooledFile; dispose: () => Promise<void> }> {
  const key = ownedObjectKey(uri, principal, farmBucket, field);
  if (!(await storage.exists(key))) throw missingObject(uri, field);
  const dir = await mkdtemp(path.join(tmpdir(), 'atelier-import-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const target = path.join(dir, 'file');
  let size = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) done(ApiError.field(field, `larger than ${maxBytes} bytes`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(await storage.openReadStream(key), capped, createWriteStream(target));
    return { file: { path: target, filename: path.basename(key), size }, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
