import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';

/**
 * A submitted generation that did not give images (failed, canceled, or still running when the
 * caller's wait ran out). Retrying the same request would queue another job, so clients that
 * retry on 5xx are told not to (`x-should-retry: false`, honoured by OpenAI's SDKs).
 */
export class GenerationOutcomeError extends ApiError {
  constructor(
    status: HttpStatus,
    code: string,
    message: string,
    readonly generationId: string,
  ) {
    super(status, code, message);
  }
}
