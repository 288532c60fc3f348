import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { REDIS_STATE } from '../../infrastructure/tokens.js';
import type { Response } from 'express';
import { FieldProblemCode } from '../../common/api-error.js';
import { GenerationOutcomeError } from '../generation-outcome.error.js';
import { problemOf, type Problem } from '../problem.js';

/** OpenAI's error types by status (what its SDKs map to BadRequestError, RateLimitError…). */
function typeFor(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function codeFor(problem: Problem): string {
  if (problem.status === 401) return 'invalid_api_key';
  if (problem.status === 429) return 'rate_limit_exceeded';
  if (problem.code !== 'validation_failed') return problem.code;
  return problem.details[0]?.code === FieldProblemCode.UnknownField ? 'unknown_parameter' : 'invalid_value';
}

/**
 * Errors of the OpenAI-compatible routes in OpenAI's shape,
 * `{ error: { message, type, param, code } }`, so its SDKs raise their own typed errors.
 */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  /** `redis`: whose state tells a Redis outage from a bug (see problemOf). */
  constructor(@Inject(REDIS_STATE) private readonly redis: { readonly status: string }) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // A blocking caller that hung up has no one to tell.
    if (response.headersSent || response.destroyed) return;
    const problem = problemOf(exception, this.redis);
    if (problem.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    if (exception instanceof GenerationOutcomeError) response.setHeader('x-should-retry', 'false');
    response.status(problem.status).json({
      error: { message: problem.message, type: typeFor(problem.status), param: problem.details[0]?.field ?? null, code: codeFor(problem) },
    });
  }
}
