import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OutboundError } from './outbound-error.js';
import { checkOutboundUrl, type OutboundPolicy } from './outbound-url.js';
import { pinAddress, pinnedLookup, systemResolver, type Resolver } from './pinned-address.js';

export interface GuardedFetchOptions {
  readonly policy: OutboundPolicy;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Buffer;
  /** Budget for everything: every hop's DNS, connect, response and body. */
  readonly timeoutMs: number;
  /** Body bytes kept. */
  readonly maxBytes: number;
  /** 'fail' (default): a larger body is a `too_large` error. 'truncate': keep the first maxBytes. */
  readonly overflow?: 'fail' | 'truncate';
  /** GET redirects followed, each hop checked like the first. 0 (default): a 3xx is returned as is. */
  readonly maxRedirects?: number;
  readonly resolve?: Resolver;
}

export interface GuardedResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly truncated: boolean;
  /** The URL that answered (after redirects). */
  readonly url: string;
}

/**
 * The one HTTP client for URLs that come from clients (images, datasets, webhooks, model
 * imports). Every hop: static URL check, DNS resolved once, the checked address pinned for the
 * socket, a fresh connection (no pooled socket to an earlier address), an overall deadline and a
 * streamed size cap. Throws only `OutboundError`.
 */
export async function guardedFetch(raw: string, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    let current = raw;
    for (let hop = 0; ; hop++) {
      const response = await oneHop(current, options, controller.signal);
      const location = response.headers.location;
      const redirect = response.status >= 300 && response.status < 400 && location !== undefined;
      if (!redirect || (options.maxRedirects ?? 0) === 0 || (options.method ?? 'GET') !== 'GET') return response;
      if (hop >= (options.maxRedirects ?? 0)) throw new OutboundError('redirect', `more than ${options.maxRedirects} redirects`);
      current = new URL(location, current).href;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function oneHop(raw: string, options: GuardedFetchOptions, signal: AbortSignal): Promise<GuardedResponse> {
  const url = checkOutboundUrl(raw, options.policy);
  const allowlisted = options.policy.allowlist.allows(url);
  const pinned = await raceAbort(pinAddress(url, allowlisted, options.resolve ?? systemResolver), signal, options.timeoutMs);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<GuardedResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: OutboundError): void => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new OutboundError('timeout', `no complete response within ${options.timeoutMs} ms`));
    let request: ReturnType<typeof send>;
    try {
      request = send(url, {
        method: options.method ?? 'GET',
        headers: { 'user-agent': 'Atelier/1', ...(options.headers ?? {}), ...(options.body === undefined ? {} : { 'content-length': Buffer.byteLength(options.body) }) },
        agent: false,
        lookup: pinnedLookup(pinned),
        signal,
      });
    } catch (error) {
      // node validates header names and values synchronously.
      reject(new OutboundError('network', `Request not sent: ${(error as Error).message}`, { cause: error }));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => (signal.aborted ? onAbort() : fail(new OutboundError('network', `connection failed (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error }))));
    request.on('response', (response) => {
      readBody(response, options, (body, truncated, error) => {
        signal.removeEventListener('abort', onAbort);
        if (error) return fail(error);
        if (settled) return;
        settled = true;
        // We have what we keep; do not wait for (or download) the rest.
        response.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, truncated, url: url.href });
      });
    });
    request.end(options.body);
  });
}

function readBody(response: IncomingMessage, options: GuardedFetchOptions, done: (body: Buffer, truncated: boolean, error?: OutboundError) => void): void {
  const limit = options.maxBytes;
  const truncate = options.overflow === 'truncate';
  const declared = Number(response.headers['content-length'] ?? 0);
  if (!truncate && declared > limit) return done(Buffer.alloc(0), false, new OutboundError('too_large', `body of ${declared} bytes exceeds ${limit}`));
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (truncated: boolean, error?: OutboundError): void => {
    if (finished) return;
    finished = true;
    done(Buffer.concat(chunks).subarray(0, limit), truncated, error);
  };
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) finish(truncate, truncate ? undefined : new OutboundError('too_large', `body exceeds ${limit} bytes`));
  });
  response.on('end', () => finish(false));
  // An answer cut short still gave us its status (webhooks record it); a body we need is incomplete.
  response.on('aborted', () => finish(false, truncate ? undefined : new OutboundError('network', 'response body cut short')));
  response.on('error', () => finish(false, truncate ? undefined : new OutboundError('network', 'response body cut short')));
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  if (signal.aborted) return Promise.reject(new OutboundError('timeout', `no complete response within ${timeoutMs} ms`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new OutboundError('timeout', `no complete response within ${timeoutMs} ms`));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
