export type OutboundErrorCode =
  | 'invalid_url'
  | 'forbidden_scheme'
  | 'credentials'
  | 'forbidden_host'
  | 'forbidden_address'
  | 'dns_failed'
  | 'network'
  | 'timeout'
  | 'redirect'
  | 'too_large';

/** Codes that mean "the policy refused this target" (as opposed to "it could not be reached"). */
export const POLICY_REFUSALS: ReadonlySet<OutboundErrorCode> = new Set(['invalid_url', 'forbidden_scheme', 'credentials', 'forbidden_host', 'forbidden_address']);

/**
 * Every failure of an outbound fetch. Callers branch on `code`; the message is for operators' logs
 * and never carries credentials. Callers that answer a client decide how much of it to show.
 */
export class OutboundError extends Error {
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OutboundError';
  }

  get refusedByPolicy(): boolean {
    return POLICY_REFUSALS.has(this.code);
  }
}
