import type { Request } from 'express';
import { DEFAULT_CONTENT_TYPE, assertValidContentType, assertValidObjectKey } from '@atelier/storage';

export interface FileRequestProblem {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly field: string;
}

export type FileRequest = { readonly key: string; readonly contentType: string } | { readonly problem: FileRequestProblem };

/**
 * What a signed-file request names, checked before the signature, the disk or the body are
 * touched: a path that is not valid percent-encoding, a key storage would refuse, or an upload
 * Content-Type that is not a media type are the client's mistakes (400), never a 500.
 */
export function readFileRequest(request: Request): FileRequest {
  let key: string;
  try {
    key = decodeURIComponent(request.path.replace(/^\//, ''));
  } catch {
    return { problem: { status: 400, code: 'invalid_path', message: 'the path is not valid percent-encoded UTF-8', field: 'path' } };
  }
  try {
    assertValidObjectKey(key);
  } catch {
    return { problem: { status: 400, code: 'invalid_key', message: 'the path does not name a valid object key', field: 'path' } };
  }
  const contentType = request.header('content-type') ?? DEFAULT_CONTENT_TYPE;
  if (request.method === 'PUT') {
    try {
      assertValidContentType(contentType);
    } catch {
      return { problem: { status: 400, code: 'invalid_content_type', message: 'Content-Type must be a media type like image/png', field: 'Content-Type' } };
    }
  }
  return { key, contentType };
}
