/** `forbidden`: the SSRF policy refused the target (before any connection); retrying cannot help. */
export type DeliveryErrorCode = 'timeout' | 'network' | 'http_status' | 'redirect' | 'forbidden';

export interface DeliveryError {
  readonly code: DeliveryErrorCode;
  readonly message: string;
}

/** What one delivery attempt did, shaped to be stored as-is in the delivery log. */
export interface DeliveryResult {
  /** True only for a 2xx response. */
  readonly ok: boolean;
  /** Present whenever the receiver answered at all. */
  readonly status?: number;
  readonly durationMs: number;
  /** Absent exactly when `ok`. */
  readonly error?: DeliveryError;
  /** From a non-2xx response's `Retry-After`, delay-seconds or HTTP-date alike. */
  readonly retryAfterSeconds?: number;
  /** The start of the response body (UTF-8), for debugging a receiver. */
  readonly responseBody?: string;
  /** True when `responseBody` was cut at the size limit. */
  readonly responseBodyTruncated?: boolean;
}
