import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DeliveryError, DeliveryResult } from './delivery-result.js';
import { parseRetryAfter } from './retry-after.js';

export interface DeliveryRequest {
  readonly url: string;
  /** Typically `webhookHeaders(...)`; sent as given. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Budget for the whole exchange: connect, send, response headers and the body we keep. */
  readonly timeoutMs: number;
  /** How much of the response body to keep. Default 4 KiB. */
  readonly maxResponseBodyBytes?: number;
  /** Replaces DNS resolution, e.g. to refuse private addresses (SSRF) before connecting. */
  readonly lookup?: LookupFunction;
}

export const DEFAULT_MAX_RESPONSE_BODY_BYTES = 4 * 1024;
const USER_AGENT = 'Atelier-Webhooks/1';

/**
 * POSTs one webhook and reports what happened; never throws. Built on node:http rather than fetch
 * so that redirects are never followed (a 3xx is a failed attempt: following would send signed
 * payloads to an address nobody registered) and so the connection's address can be controlled.
 */
export function deliverWebhook(delivery: DeliveryRequest): Promise<DeliveryResult> {
  const startedAt = performance.now();
  const elapsed = (): number => Math.round(performance.now() - startedAt);

  let url: URL;
  try {
    url = new URL(delivery.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  } catch (error) {
    return Promise.resolve(failure('network', `Invalid webhook URL: ${messageOf(error)}`, elapsed()));
  }

  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let request: ClientRequest;
  try {
    request = send(url, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...delivery.headers, 'content-length': Buffer.byteLength(delivery.body) },
      // A fresh connection per attempt: no pooled socket to a previously resolved address.
      agent: false,
      lookup: delivery.lookup,
    });
  } catch (error) {
    // node validates header names and values synchronously.
    return Promise.resolve(failure('network', `Request not sent: ${messageOf(error)}`, elapsed()));
  }

  // Listeners are attached in this same tick, before the request can emit anything.
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const settle = (result: DeliveryResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      settle(failure('timeout', `No complete response within ${delivery.timeoutMs} ms`, elapsed()));
      request.destroy();
    }, delivery.timeoutMs);

    request.on('error', (error) => settle(failure('network', messageOf(error), elapsed())));
    request.on('response', (response) => {
      const limit = delivery.maxResponseBodyBytes ?? DEFAULT_MAX_RESPONSE_BODY_BYTES;
      readBodyPrefix(response, limit, (body, truncated) => {
        settle(describeResponse(response, body, truncated, elapsed()));
        // We have what we keep; do not wait for (or download) the rest.
        response.destroy();
      });
    });
    request.end(delivery.body);
  });
}

function readBodyPrefix(
  response: IncomingMessage,
  limit: number,
  done: (body: string, truncated: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (truncated: boolean): void => {
    if (finished) return;
    finished = true;
    done(Buffer.concat(chunks).subarray(0, limit).toString('utf8'), truncated);
  };
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) finish(true);
  });
  response.on('end', () => finish(false));
  // A receiver that answers and then drops the connection still gave us its status.
  response.on('aborted', () => finish(false));
  response.on('error', () => finish(false));
}

function describeResponse(response: IncomingMessage, body: string, truncated: boolean, durationMs: number): DeliveryResult {
  const status = response.statusCode ?? 0;
  const record = { status, durationMs, responseBody: body, responseBodyTruncated: truncated };
  if (status >= 200 && status < 300) return { ok: true, ...record };

  const error: DeliveryError =
    status >= 300 && status < 400
      ? { code: 'redirect', message: `Redirect ${status} to ${response.headers.location ?? '(no location)'} not followed` }
      : { code: 'http_status', message: `Receiver answered ${status}` };
  const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], new Date());
  return { ok: false, ...record, error, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

function failure(code: DeliveryError['code'], message: string, durationMs: number): DeliveryResult {
  return { ok: false, durationMs, error: { code, message } };
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
