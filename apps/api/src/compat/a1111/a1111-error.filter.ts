import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { REDIS_STATE } from '../../infrastructure/tokens.js';
import type { Response } from 'express';
import { problemOf } from '../problem.js';

/**
 * Errors of the /sdapi routes in the shape A1111's API answers with (`error`, `detail`, `body`,
 * `errors`), which its clients show to users; `errors` lists each refused field and why.
 */
@Catch()
export class A1111ErrorFilter implements ExceptionFilter {
  /** `redis`: whose state tells a Redis outage from a bug (see problemOf). */
  constructor(@Inject(REDIS_STATE) private readonly redis: { readonly status: string }) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // A blocking caller that hung up has no one to tell.
    if (response.headersSent || response.destroyed) return;
    const problem = problemOf(exception, this.redis);
    if (problem.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    response.status(problem.status).json({ error: problem.code, detail: problem.message, body: '', errors: problem.details.map(({ field, message }) => ({ field, message })) });
  }
}
