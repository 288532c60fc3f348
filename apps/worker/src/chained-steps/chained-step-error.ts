import type { ErrorCode } from '@atelier/contracts';

/** A chained step that cannot succeed on any attempt (a model missing here, a limit exceeded): failed at once with its code. */
export class ChainedStepError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChainedStepError';
  }
}
