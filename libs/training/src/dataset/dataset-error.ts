export interface DatasetProblem {
  /** The file at fault (path inside the archive or folder), or "(dataset)" for the whole set. */
  readonly file: string;
  readonly reason: string;
}

export const WHOLE_DATASET = '(dataset)';

/** Every problem found, not just the first, so a user can fix a dataset in one go. */
export class DatasetError extends Error {
  constructor(readonly problems: readonly DatasetProblem[]) {
    const shown = problems.slice(0, 10).map((problem) => `${problem.file}: ${problem.reason}`);
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`);
    super(`invalid training dataset: ${shown.join('; ')}`);
    this.name = 'DatasetError';
  }
}
