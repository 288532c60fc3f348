import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { problemOf } from '../problem.js';

/**
 * Errors of the /sdapi routes in the shape A1111's API answers with (`error`, `detail`, `body`,
 * `errors`), which its clients show to users; `errors` lists each refused field and why.
 */
@Catch()
export class A1111ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // A blocking caller that hung up has no one to tell.
    if (response.headersSent || response.destroyed) return;
    const problem = problemOf(exception);
    if (problem.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(problem.retryAfterSeconds));
    response.status(problem.status).json({ error: problem.code, detail: problem.message, body: '', errors: problem.details });
  }
}
