/*
 * `type/subtype` with optional parameters, and no control characters: the value is replayed as a
 * response header by the local file route and by S3, so CR/LF must never get through.
 */
const CONTENT_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7E]*)?$/;

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** @throws TypeError when `contentType` is not a plausible media type. */
export function assertValidContentType(contentType: string): void {
  if (typeof contentType !== 'string' || contentType.length > 255 || !CONTENT_TYPE_PATTERN.test(contentType)) {
    throw new TypeError(`Invalid content type ${JSON.stringify(contentType)}`);
  }
}
