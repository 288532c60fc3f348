/** What went wrong, for callers that map preprocessing failures onto 400s naming the field. */
export type PreprocessErrorCode =
  | 'unknown_preprocessor'
  | 'missing_preprocessor_model'
  | 'invalid_preprocessor_model'
  | 'invalid_control_image'
  | 'invalid_preprocessor_option';

export class PreprocessError extends Error {
  constructor(
    readonly code: PreprocessErrorCode,
    /** The request field at fault, e.g. `preprocessor`, `image`, `options.low_threshold`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'PreprocessError';
  }
}
