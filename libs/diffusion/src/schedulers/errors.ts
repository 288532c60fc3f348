/** A sampler name that no registered scheduler answers to. */
export class UnknownSchedulerError extends Error {
  override readonly name = 'UnknownSchedulerError';

  constructor(
    readonly requested: string,
    readonly validNames: readonly string[],
  ) {
    super(`unknown scheduler "${requested}"; valid names: ${validNames.join(', ')}`);
  }
}

/** A scheduler_config.json (or option) that is invalid or asks for maths this port does not implement. */
export class SchedulerConfigError extends Error {
  override readonly name = 'SchedulerConfigError';
}
