import { performance } from 'node:perf_hooks';
import { guardedFetch, OutboundError, type GuardedResponse, type OutboundPolicy, type Resolver } from '@atelier/outbound';
import type { DeliveryError, DeliveryResult } from './delivery-result.js';
import { parseRetryAfter } from './retry-after.js';

export interface DeliveryRequest {
  readonly url: string;
  /** Typically `webhookHeaders(...)`; sent as given. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Budget for the whole exchange: connect, send, response headers and the body we keep. */
  readonly timeoutMs: number;
  /** Which targets may be reached (SSRF rules); see `webhookPolicy`. */
  readonly policy: OutboundPolicy;
  /** How much of the response body to keep. Default 4 KiB. */
  readonly maxResponseBodyBytes?: number;
  /** Replaces DNS resolution (tests). */
  readonly resolve?: Resolver;
}

export const DEFAULT_MAX_RESPONSE_BODY_BYTES = 4 * 1024;
const USER_AGENT = 'Atelier-Webhooks/1';

/**
 * POSTs one webhook through the farm's guarded client and reports what happened; never throws.
 * Redirects are never followed (a 3xx is a failed attempt: following would send signed payloads
 * to an address nobody registered), and the connection goes to the address the policy checked.
 */
export async function deliverWebhook(delivery: DeliveryRequest): Promise<DeliveryResult> {
  const startedAt = performance.now();
  const elapsed = (): number => Math.round(performance.now() - startedAt);
  try {
    const response = await guardedFetch(delivery.url, {
      policy: delivery.policy,
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...delivery.headers },
      body: delivery.body,
      timeoutMs: delivery.timeoutMs,
      maxBytes: delivery.maxResponseBodyBytes ?? DEFAULT_MAX_RESPONSE_BODY_BYTES,
      overflow: 'truncate',
      maxRedirects: 0,
      resolve: delivery.resolve,
    });
    return describeResponse(response, elapsed());
  } catch (error) {
    return { ok: false, durationMs: elapsed(), error: deliveryError(error) };
  }
}

function deliveryError(error: unknown): DeliveryError {
  if (!(error instanceof OutboundError)) return { code: 'network', message: String(error) };
  if (error.code === 'timeout') return { code: 'timeout', message: error.message };
  if (error.code === 'invalid_url' || error.code === 'forbidden_scheme' || error.code === 'credentials') return { code: 'network', message: `Invalid webhook URL: ${error.message}` };
  if (error.refusedByPolicy) return { code: 'forbidden', message: error.message };
  return { code: 'network', message: error.message };
}

function describeResponse(response: GuardedResponse, durationMs: number): DeliveryResult {
  const status = response.status;
  const record = { status, durationMs, responseBody: response.body.toString('utf8'), responseBodyTruncated: response.truncated };
  if (status >= 200 && status < 300) return { ok: true, ...record };

  const error: DeliveryError =
    status >= 300 && status < 400
      ? { code: 'redirect', message: `Redirect ${status} to ${response.headers.location ?? '(no location)'} not followed` }
      : { code: 'http_status', message: `Receiver answered ${status}` };
  const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], new Date());
  return { ok: false, ...record, error, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}
