import { checkOutboundUrl, guardedFetch, OutboundError, type OutboundPolicy } from '#libs/outbound/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { ApiError } from '../common/api-error.js';

/**
 * Bytes of an import `source`: an https URL (the farm's outbound rules: public addresses only
 * unless allowlisted in OUTBOUND_ALLOWED_HOSTS, the checked address is the one connected to, no redirects) or an
 * `s3://<bucket>/<key>` in the farm's own bucket.
 */
export async function fetchImportSource(source: string, policy: OutboundPolicy, storage: ObjectStorage, bucket: string | undefined, maxBytes: number): Promise<Buffer> {
  if (source.startsWith('s3://')) {
    const [, , sourceBucket, ...rest] = source.split('/');
    if (!bucket || sourceBucket !== bucket) throw ApiError.field('source', `only objects in this farm's bucket (${bucket ?? 'none configured'}) can be imported`);
    return storage.get(rest.join('/')).catch((error: Error) => {
      throw ApiError.field('source', `could not read ${source}: ${error.message}`);
    });
  }
  try {
    checkOutboundUrl(source, policy);
  } catch (error) {
    if (error instanceof OutboundError) throw ApiError.field('source', error.message);
    throw error;
  }
  // Past the static check, every failure reads the same: a refused address, a closed port, a
  // DNS failure or an HTTP error must not tell the caller anything about the network behind us.
  const response = await guardedFetch(source, { policy, timeoutMs: 60_000, maxBytes }).catch((error: unknown) => {
    if (error instanceof OutboundError) throw ApiError.field('source', 'could not fetch');
    throw error;
  });
  if (response.status < 200 || response.status >= 300) throw ApiError.field('source', 'could not fetch');
  return response.body;
}
