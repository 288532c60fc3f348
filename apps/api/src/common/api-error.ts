import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
  /**
   * What kind of problem it is, for code that formats it (the OpenAI filter's `unknown_parameter`).
   * Kept off the wire: the v1 body's details stay `{ field, message }`.
   */
  readonly code?: FieldProblemCode;
}

export const FieldProblemCode = Object.freeze({
  /** The body has a field its schema does not know. */
  UnknownField: 'unknown_field',
} as const);
export type FieldProblemCode = (typeof FieldProblemCode)[keyof typeof FieldProblemCode];

/** Every 4xx/5xx body has this shape: `{ error: { code, message, details? } }`. */
export class ApiError extends HttpException {
  retryAfterSeconds: number | undefined;
  /** The field problems with their codes (the body carries only field and message). */
  readonly problems: readonly FieldProblem[];

  constructor(status: HttpStatus, code: string, message: string, details?: readonly FieldProblem[]) {
    super({ error: { code, message, ...(details ? { details: details.map(({ field, message: text }) => ({ field, message: text })) } : {}) } }, status);
    this.problems = details ?? [];
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
