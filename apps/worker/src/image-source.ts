import { InvalidImageError } from '@atelier/diffusion';
import { downloadSource, SourceUnavailableError, type SourceDownload } from './source-download.js';

export type ImageDownload = Omit<SourceDownload, 'timeoutMs'> & { readonly timeoutMs?: number };

/**
 * Bytes of an `init_image`/`mask_image` given as http(s) URL, data: URL or bare base64. A URL that
 * cannot be fetched, for whatever reason, is `<field>: could not fetch` (see SourceUnavailableError).
 */
export async function fetchImageBytes(reference: string, field: string, download: ImageDownload): Promise<Buffer> {
  if (/^https?:\/\//i.test(reference)) {
    return downloadSource(reference, { timeoutMs: 15_000, ...download }).catch((error: unknown) => {
      if (error instanceof SourceUnavailableError) throw new InvalidImageError(field, error.message);
      throw error;
    });
  }
  const base64 = reference.replace(/^data:image\/[a-z+]+;base64,/, '').replace(/\s+/g, '');
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new InvalidImageError(field, 'is empty after base64 decoding');
  if (bytes.length > download.maxBytes) throw new InvalidImageError(field, `is ${bytes.length} bytes, the limit is ${download.maxBytes}`);
  return bytes;
}
