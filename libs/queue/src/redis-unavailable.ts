
/** Node's codes for a connection that could not be made or was cut. */
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether `error` means Redis is unreachable (answer 503 and "retry shortly", not 500). Decided
 * from the error's class and code and from the connection's own state, never from its text:
 * ioredis reports a dropped connection ("Connection is closed.", "Stream isn't writeable") and a
 * Redis still loading its data as plain errors, while its connection is then not `ready`.
 */
export function isRedisUnavailable(error: unknown, connection: { readonly status: string } | undefined): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return connection !== undefined && connection.status !== 'ready';
}
