/**
 * When to try an HTTP call again and how long to wait first. Pure functions so the policy can be
 * tested without a server; the transport only asks these questions.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  readonly maxRetries: number;
  /** First backoff step; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Ceiling of a computed backoff. */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited out: the caller gets the error instead. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
});

/** 429 (rate or queue limit) and 503 (not ready / overloaded) say "the request was not processed, come back". */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * A 409 is final, except with `Retry-After`: that is the API's "a request with this
 * Idempotency-Key is still being processed", answered when a retry overtakes the original.
 */
function retryable(status: number, retryAfter: string | null | undefined): boolean {
  return RETRYABLE_STATUSES.has(status) || (status === 409 && retryAfter !== null && retryAfter !== undefined);
}

/**
 * `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds
 * from `now`, or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with full jitter, so that many clients rejected together do not return together. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: string };

export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | null }
  | { readonly kind: 'network-error' };

/**
 * `retry` counts retries already made (0 after the first attempt). A server's `Retry-After` wins
 * over the computed backoff; one beyond `maxRetryAfterMs` ends the retries.
 */
export function decideRetry(policy: RetryPolicy, outcome: AttemptOutcome, retry: number, now: number = Date.now(), random: () => number = Math.random): RetryDecision {
  if (outcome.kind === 'response' && !retryable(outcome.status, outcome.retryAfter)) return { retry: false, reason: `status ${outcome.status} is final` };
  if (retry >= policy.maxRetries) return { retry: false, reason: `gave up after ${retry + 1} attempts` };
  if (outcome.kind === 'response') {
    const retryAfter = parseRetryAfter(outcome.retryAfter, now);
    if (retryAfter !== undefined) {
      if (retryAfter > policy.maxRetryAfterMs) return { retry: false, reason: `Retry-After ${Math.ceil(retryAfter / 1000)} s exceeds ${policy.maxRetryAfterMs / 1000} s` };
      return { retry: true, delayMs: retryAfter };
    }
  }
  return { retry: true, delayMs: backoffDelay(policy, retry, random) };
}
