/** Thrown at the next step boundary once the job's AbortSignal fired. */
export class GenerationCanceledError extends Error {
  constructor(readonly reason: unknown) {
    super('generation canceled');
    this.name = 'GenerationCanceledError';
  }
}

/** A request the model cannot serve (bad size, missing component for the mode...): permanent. */
export class UnsupportedRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'UnsupportedRequestError';
  }
}
