import { guardedFetch, type OutboundPolicy, type Resolver } from '@atelier/outbound';

/**
 * A client-supplied URL could not be fetched. Deliberately one message for every reason (refused
 * address, DNS failure, closed or open port, HTTP error, timeout, too large): anything more would
 * let a client map the network behind the worker. The reason stays in `cause` for the logs.
 */
export class SourceUnavailableError extends Error {
  readonly code = 'could_not_fetch';

  constructor(cause: unknown) {
    super('could not fetch', { cause });
    this.name = 'SourceUnavailableError';
  }
}

export interface SourceDownload {
  readonly policy: OutboundPolicy;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Replaces DNS (tests). */
  readonly resolve?: Resolver;
}

/** The body of a 2xx answer from `url`, fetched through the farm's guarded client. */
export async function downloadSource(url: string, options: SourceDownload): Promise<Buffer> {
  const response = await guardedFetch(url, { policy: options.policy, timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, maxRedirects: 3, resolve: options.resolve }).catch((error: unknown) => {
    throw new SourceUnavailableError(error);
  });
  if (response.status < 200 || response.status >= 300) throw new SourceUnavailableError(new Error(`HTTP ${response.status}`));
  return response.body;
}
