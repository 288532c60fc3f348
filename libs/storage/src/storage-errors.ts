export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';

  constructor(readonly key: string, options?: ErrorOptions) {
    super(`No object stored under key "${key}"`, options);
  }
}

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';

  constructor(readonly key: string, readonly reason: string) {
    super(`Invalid object key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** Thrown by `ping()` so readiness checks can report one error type whatever the driver. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';

  constructor(readonly target: string, options?: ErrorOptions) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`Storage ${target} is unavailable${detail}`, options);
  }
}
