/** What went wrong, for callers that map face-restoration failures onto job errors or 400s. */
export type FaceRestoreErrorCode =
  | 'face_model_missing'
  | 'face_model_invalid'
  | 'face_image_invalid'
  | 'face_option_invalid'
  | 'face_restore_canceled';

export class FaceRestoreError extends Error {
  constructor(
    readonly code: FaceRestoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FaceRestoreError';
  }
}
