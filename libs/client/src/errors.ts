import { z } from 'zod';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

/** The API answered with an error: `{ error: { code, message, details } }` and an HTTP status. */
export class AtelierApiError extends Error {
  override readonly name = 'AtelierApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly FieldProblem[] = [],
    /** `METHOD /path` of the call, so that a CLI can say which call failed. */
    readonly request?: string,
  ) {
    super(message);
  }
}

/** No HTTP answer at all (refused, reset, DNS, timeout), after the retries the policy allows. */
export class AtelierNetworkError extends Error {
  override readonly name = 'AtelierNetworkError';

  constructor(
    readonly request: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(`${request}: no response after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describeCause(options.cause)}`, options);
  }
}

/** A 2xx whose body does not have the documented shape: the server and this client have drifted apart. */
export class AtelierResponseError extends Error {
  override readonly name = 'AtelierResponseError';

  constructor(
    readonly request: string,
    readonly issues: readonly string[],
  ) {
    super(`${request}: unexpected response shape (server and client versions differ?): ${issues.join('; ')}`);
  }
}

/**
 * Reads an error response. Bodies in the API's shape keep their code, message and field details;
 * anything else (a proxy's HTML page, an empty body) still becomes an AtelierApiError that says
 * the status and the start of what came back.
 */
export function parseApiError(status: number, bodyText: string, request?: string, statusText = ''): AtelierApiError {
  let json: unknown;
  try {
    json = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new AtelierApiError(status, code, message, details ?? [], request);
  }
  const snippet = bodyText.replace(/\s+/g, ' ').trim().slice(0, 200);
  const message = [`HTTP ${status}${statusText ? ` ${statusText}` : ''}`, snippet].filter(Boolean).join(': ');
  return new AtelierApiError(status, `http_${status}`, message, [], request);
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici wraps the socket error: "fetch failed" says nothing, its cause says ECONNREFUSED.
  const inner = (cause as Error & { cause?: unknown }).cause;
  if (inner instanceof Error) {
    const code = (inner as Error & { code?: string }).code;
    return code ? `${code} (${inner.message})` : inner.message;
  }
  return cause.message;
}
