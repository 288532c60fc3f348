import { InvalidImageError } from '#libs/diffusion/src/index.js';

/** Bytes of an `init_image`/`mask_image` given as http(s) URL, data: URL or bare base64. */
export async function fetchImageBytes(reference: string, field: string, maxBytes: number, timeoutMs = 15_000): Promise<Buffer> {
  if (/^https?:\/\//.test(reference)) {
    const response = await fetch(reference, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' }).catch((error: Error) => {
      throw new InvalidImageError(field, `could not be downloaded (${error.message})`);
    });
    if (!response.ok) throw new InvalidImageError(field, `download answered HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > maxBytes) throw new InvalidImageError(field, `is ${declared} bytes, the limit is ${maxBytes}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > maxBytes) throw new InvalidImageError(field, `is ${bytes.length} bytes, the limit is ${maxBytes}`);
    return bytes;
  }
  const base64 = reference.replace(/^data:image\/[a-z+]+;base64,/, '').replace(/\s+/g, '');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new InvalidImageError(field, 'is empty after base64 decoding');
  if (bytes.length > maxBytes) throw new InvalidImageError(field, `is ${bytes.length} bytes, the limit is ${maxBytes}`);
  return bytes;
}
