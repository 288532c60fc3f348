/** What went wrong, for callers that map segmentation failures onto 400s naming the field. */
export type SegmentationErrorCode =
  | 'missing_segmentation_model'
  | 'invalid_segmentation_model'
  | 'invalid_segmentation_image'
  | 'invalid_segmentation_prompt'
  | 'unsupported_segmentation_prompt';

export class SegmentationError extends Error {
  constructor(
    readonly code: SegmentationErrorCode,
    /** The request field at fault, e.g. `image`, `prompts.points[0]`, `models.decoder`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SegmentationError';
  }
}
