import { UnsupportedRequestError } from '../pipeline/errors.js';

/** Why a ControlNet request cannot run; stable codes that callers map to client errors. */
export const CONTROLNET_ERROR_CODES = [
  /** The ControlNet folder (or its model.onnx) does not exist. */
  'controlnet_model_missing',
  /** config.json is unreadable, or the graph lacks the inputs/outputs a ControlNet has. */
  'controlnet_model_invalid',
  /** The ControlNet was trained for another base family than the pipeline's (SD 1.5 net on SDXL...). */
  'controlnet_family_mismatch',
  /** The pipeline has no residual-accepting UNet (`controlnet/` or `cnet/`), or its residuals do not match the net's. */
  'controlnet_unet_missing',
  'controlnet_residual_mismatch',
  /** The control image could not be decoded. */
  'controlnet_image_invalid',
  /** A request value the ControlNet path cannot serve (window, scale, fp16 arithmetic). */
  'controlnet_unsupported',
] as const;

export type ControlNetErrorCode = (typeof CONTROLNET_ERROR_CODES)[number];

/**
 * A permanent ControlNet failure. It is an UnsupportedRequestError, so every caller that already
 * treats those as client errors (the worker: permanent, 4xx) does so here too; `code` says which.
 */
export class ControlNetError extends UnsupportedRequestError {
  constructor(
    readonly code: ControlNetErrorCode,
    field: string,
    message: string,
  ) {
    super(field, message);
    this.name = 'ControlNetError';
  }
}
