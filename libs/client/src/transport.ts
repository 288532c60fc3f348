import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { AtelierNetworkError, AtelierResponseError, parseApiError } from './errors.js';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './retry-policy.js';
import { sleep } from './sleep.js';

export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly fetch?: FetchFunction;
  readonly retry?: Partial<RetryPolicy>;
  /** Per attempt, body included. */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /** Told before each wait, so that a caller can say why nothing seems to happen. */
  readonly onRetry?: (retry: RetryNotice) => void;
}

export interface RetryNotice {
  /** `METHOD /path`. */
  readonly request: string;
  /** `HTTP 429 rate_limited`, or the network error. */
  readonly reason: string;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
}

export interface Call {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** A path under baseUrl (`/v1/models`) or an absolute URL (presigned storage links). */
  readonly target: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly json?: unknown;
  readonly bytes?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Non-2xx statuses whose body is still the answer (readiness says 503 with a body). */
  readonly acceptStatuses?: readonly number[];
  /** Reuse a key across separate calls that are one logical operation. */
  readonly idempotencyKey?: string;
}

/**
 * One HTTP exchange with retries. The body is read inside the attempt, so a connection that
 * drops mid-body is retried like one that never answered. POSTs carry one `Idempotency-Key`
 * for all their attempts: a retried submission is recognisably the same submission.
 */
export class Transport {
  readonly baseUrl: URL;
  private readonly fetchFn: FetchFunction;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async json<T>(call: Call, schema: z.ZodType<T>): Promise<{ readonly body: T; readonly status: number }> {
    return this.exchange(call, async (response, label) => {
      const text = await response.text();
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new AtelierResponseError(label, [`body is not JSON: ${text.slice(0, 120)}`]);
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new AtelierResponseError(label, parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`));
      }
      return { body: parsed.data, status: response.status };
    });
  }

  async bytes(call: Call): Promise<Buffer> {
    return this.exchange(call, async (response) => Buffer.from(await response.arrayBuffer()));
  }

  /** Resolves a path against the API root; absolute URLs pass through. */
  resolve(target: string, query?: Call['query']): URL {
    const url = /^https?:\/\//i.test(target) ? new URL(target) : new URL(target.replace(/^\//, ''), this.baseUrl);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  private async exchange<T>(call: Call, read: (response: Response, label: string) => Promise<T>): Promise<T> {
    const url = this.resolve(call.target, call.query);
    // Presigned query strings are credentials: never in error messages.
    const label = `${call.method} ${url.origin === this.baseUrl.origin ? url.pathname : `${url.origin}${url.pathname}`}`;
    const headers = this.headers(call, url);
    const body = call.json !== undefined ? JSON.stringify(call.json) : call.bytes;
    for (let retry = 0; ; retry++) {
      const signal = call.signal ? AbortSignal.any([call.signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs);
      let outcome: { readonly value: T } | { readonly status: number; readonly retryAfter: string | null; readonly text: string; readonly statusText: string };
      try {
        const response = await this.fetchFn(url, { method: call.method, headers, body, signal, redirect: 'follow' });
        if (response.ok || call.acceptStatuses?.includes(response.status)) {
          outcome = { value: await read(response, label) };
        } else {
          outcome = { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text(), statusText: response.statusText };
        }
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (error instanceof AtelierResponseError) throw error;
        const decision = decideRetry(this.policy, { kind: 'network-error' }, retry);
        const failure = new AtelierNetworkError(label, retry + 1, { cause: error });
        if (!decision.retry) throw failure;
        this.options.onRetry?.({ request: label, reason: failure.message.slice(label.length + 2), retry: retry + 1, delayMs: decision.delayMs });
        await sleep(decision.delayMs, call.signal);
        continue;
      }
      if ('value' in outcome) return outcome.value;
      const decision = decideRetry(this.policy, { kind: 'response', status: outcome.status, retryAfter: outcome.retryAfter }, retry);
      const failure = parseApiError(outcome.status, outcome.text, label, outcome.statusText);
      if (!decision.retry) throw failure;
      this.options.onRetry?.({ request: label, reason: `HTTP ${failure.status} ${failure.code}: ${failure.message}`, retry: retry + 1, delayMs: decision.delayMs });
      await sleep(decision.delayMs, call.signal);
    }
  }

  private headers(call: Call, url: URL): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.options.userAgent ?? 'atelier-client/0.1', ...call.headers };
    // The API key only goes to the API's own origin, never to a storage host behind a presigned URL.
    if (this.options.apiKey && url.origin === this.baseUrl.origin) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (call.json !== undefined) headers['content-type'] = 'application/json';
    if (call.method === 'POST') headers['idempotency-key'] = call.idempotencyKey ?? randomUUID();
    return headers;
  }
}
