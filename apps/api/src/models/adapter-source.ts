import { checkOutboundUrl, guardedFetch, OutboundError, type OutboundPolicy } from '@atelier/outbound';
import { ApiError } from '../common/api-error.js';

/**
 * Bytes of an https import `source` under the farm's outbound rules (public addresses only unless
 * allowlisted in OUTBOUND_ALLOWED_HOSTS, the checked address is the one connected to, no
 * redirects). `s3://` sources never come here: they are the caller's own uploads, checked and
 * spooled by `spoolOwnedObject`.
 */
export async function fetchImportSource(source: string, policy: OutboundPolicy, maxBytes: number, field = 'source'): Promise<Buffer> {
  try {
    checkOutboundUrl(source, policy);
  } catch (error) {
    if (error instanceof OutboundError) throw ApiError.field(field, error.message);
    throw error;
  }
  // Past the static check, every failure reads the same: a refused address, a closed port, a
  // DNS failure or an HTTP error must not tell the caller anything about the network behind us.
  const response = await guardedFetch(source, { policy, timeoutMs: 60_000, maxBytes }).catch((error: unknown) => {
    if (error instanceof OutboundError) throw ApiError.field(field, 'could not fetch');
    throw error;
  });
  if (response.status < 200 || response.status >= 300) throw ApiError.field(field, 'could not fetch');
  return response.body;
}
