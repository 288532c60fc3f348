import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { isRedisUnavailable } from '@atelier/queue';
import { ApiError, type FieldProblem } from '../common/api-error.js';

/** An error reduced to what every wire format needs, so each compatibility API only formats it. */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details: readonly FieldProblem[];
  readonly retryAfterSeconds?: number;
}

interface AtelierErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: readonly FieldProblem[] };
}

const logger = new Logger('CompatErrors');

function isAtelierBody(body: unknown): body is AtelierErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

/**
 * Mirrors HttpExceptionFilter's classification (Nest errors, body parser, Redis outage, bugs).
 * `redis`: the API's connection, whose state tells a Redis outage from a bug (see isRedisUnavailable).
 */
export function problemOf(exception: unknown, redis?: { readonly status: string }): Problem {
  const retryAfter = (exception as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    // An ApiError's own problems keep their codes; a body built elsewhere has field and message only.
    const details = exception instanceof ApiError ? exception.problems : isAtelierBody(body) ? (body.error.details ?? []) : [];
    if (isAtelierBody(body)) return { status, code: body.error.code, message: body.error.message, details, retryAfterSeconds: retryAfter };
    const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
    return { status, code: status === 404 ? 'not_found' : status === 401 ? 'unauthorized' : 'request_failed', message, details: [] };
  }
  const typed = exception as { type?: string; message?: string; name?: string } | undefined;
  if (typed?.type === 'entity.parse.failed') return { status: 400, code: 'invalid_json', message: `request body is not valid JSON: ${typed.message}`, details: [] };
  if (typed?.type === 'entity.too.large') return { status: 413, code: 'body_too_large', message: 'request body exceeds the size limit', details: [] };
  if (isRedisUnavailable(exception, redis)) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'service_unavailable', message: 'the job store (Redis) is unreachable; nothing was accepted, retry shortly', details: [], retryAfterSeconds: 5 };
  }
  logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: 'internal_error', message: 'internal error', details: [] };
}
