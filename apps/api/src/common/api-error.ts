import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Every 4xx/5xx body has this shape: `{ error: { code, message, details? } }`. */
export class ApiError extends HttpException {
  retryAfterSeconds: number | undefined;

  constructor(status: HttpStatus, code: string, message: string, details?: readonly FieldProblem[]) {
    super({ error: { code, message, ...(details ? { details } : {}) } }, status);
  }

  /** Sent as `Retry-After` by the exception filter (429, 503). */
  withRetryAfter(seconds: number): this {
    this.retryAfterSeconds = seconds;
    return this;
  }

  static validation(details: readonly FieldProblem[]): ApiError {
    const message = details.map((detail) => `${detail.field}: ${detail.message}`).join('; ');
    return new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', message, details);
  }

  static field(field: string, message: string): ApiError {
    return ApiError.validation([{ field, message }]);
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError(HttpStatus.NOT_FOUND, 'not_found', `${what} ${id} does not exist`);
  }
}
