/** A ZIP archive that is malformed, hostile (traversing names, overlapping data) or too large. */
export class ZipError extends Error {
  override readonly name = 'ZipError';

  constructor(
    readonly reason: string,
    /** The entry at fault, when there is one. */
    readonly entry?: string,
  ) {
    super(entry === undefined ? `zip: ${reason}` : `zip: entry ${JSON.stringify(entry)}: ${reason}`);
  }
}
