/** A pickle (or checkpoint archive) that is malformed or truncated: broken, not dangerous. */
export class PickleError extends Error {
  override readonly name: string = 'PickleError';

  constructor(
    message: string,
    /** Byte offset in the pickle where the problem was found, when there is one. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

/**
 * A pickle that asks for something outside the allowlist: a global, a call, an opcode. Thrown at
 * the opcode that asks, before any value for it exists. `offender` is the `module.name` of the
 * global, or the opcode's name when no global is involved.
 */
export class UnsafePickleError extends Error {
  override readonly name = 'UnsafePickleError';

  constructor(
    readonly offender: string,
    readonly reason: string,
    readonly offset?: number,
  ) {
    super(`refused to unpickle ${offender}: ${reason}${offset === undefined ? '' : ` (at byte ${offset})`}`);
  }
}

/** A checkpoint whose pickle is fine but whose tensors cannot be turned into plain data. */
export class CheckpointError extends PickleError {
  override readonly name: string = 'CheckpointError';
}
