/** What went wrong, for callers that map upscaling failures onto job errors or 400s. */
export type UpscaleErrorCode =
  | 'upscaler_model_missing'
  | 'upscaler_model_invalid'
  | 'upscale_image_invalid'
  | 'upscale_option_invalid'
  | 'upscale_canceled';

export class UpscaleError extends Error {
  constructor(
    readonly code: UpscaleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpscaleError';
  }
}
