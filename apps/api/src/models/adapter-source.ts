import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { checkWebhookUrl, guardedLookup } from '#libs/webhooks/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { ApiError } from '../common/api-error.js';

/**
 * Bytes of an import `source`: an https URL (same SSRF rules as webhooks: public addresses only
 * unless allowlisted, the checked address is the one connected to, no redirects) or an
 * `s3://<bucket>/<key>` in the farm's own bucket.
 */
export async function fetchImportSource(source: string, allowedHosts: ReadonlySet<string>, storage: ObjectStorage, bucket: string | undefined, maxBytes: number): Promise<Buffer> {
  if (source.startsWith('s3://')) {
    const [, , sourceBucket, ...rest] = source.split('/');
    if (!bucket || sourceBucket !== bucket) throw ApiError.field('source', `only objects in this farm's bucket (${bucket ?? 'none configured'}) can be imported`);
    return storage.get(rest.join('/')).catch((error: Error) => {
      throw ApiError.field('source', `could not read ${source}: ${error.message}`);
    });
  }
  let url: URL;
  try {
    url = checkWebhookUrl(source, allowedHosts);
  } catch (error) {
    throw ApiError.field('source', (error as Error).message);
  }
  const get = url.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise<Buffer>((resolve, reject) => {
    const request = get(url, { lookup: guardedLookup(allowedHosts), agent: false, timeout: 60_000 }, (response) => {
      if ((response.statusCode ?? 0) >= 300) {
        response.resume();
        reject(ApiError.field('source', `download answered HTTP ${response.statusCode} (redirects are not followed)`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          request.destroy();
          reject(ApiError.field('source', `larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', (error) => reject(ApiError.field('source', error.message)));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => reject(ApiError.field('source', `download failed: ${error.message}`)));
  });
}
