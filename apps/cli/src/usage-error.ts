/** The command line itself is wrong: exit code 2 and a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}
