import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { isRedisUnavailable } from '@atelier/queue';
import { ApiError } from './api-error.js';

/** Gives Nest's own errors (404 route, malformed JSON, body too large) the API's error shape. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  /** `redis`: the API's connection, whose state tells a Redis outage from a bug. */
  constructor(private readonly redis: { readonly status: string }) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof ApiError && exception.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'object') {
        response.status(status).json(body);
        return;
      }
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      response.status(status).json({ error: { code: codeFor(status), message: Array.isArray(message) ? message.join('; ') : String(message) } });
      return;
    }
    if (isRedisUnavailable(exception, this.redis)) {
      response.setHeader('Retry-After', '5');
      response.status(HttpStatus.SERVICE_UNAVAILABLE).json({ error: { code: 'service_unavailable', message: 'the job store (Redis) is unreachable; nothing was accepted, retry shortly' } });
      return;
    }
    const typed = exception as { type?: string; status?: number; message?: string };
    if (typed?.type === 'entity.parse.failed') {
      response.status(HttpStatus.BAD_REQUEST).json({ error: { code: 'invalid_json', message: `request body is not valid JSON: ${typed.message}` } });
      return;
    }
    if (typed?.type === 'entity.too.large') {
      response.status(HttpStatus.PAYLOAD_TOO_LARGE).json({ error: { code: 'body_too_large', message: 'request body exceeds the size limit' } });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ error: { code: 'internal_error', message: 'internal error' } });
  }
}

function codeFor(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 400) return 'bad_request';
  if (status === 409) return 'conflict';
  if (status === 413) return 'body_too_large';
  if (status === 401) return 'unauthorized';
  return status >= 500 ? 'internal_error' : 'request_failed';
}
