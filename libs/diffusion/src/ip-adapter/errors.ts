import { UnsupportedRequestError } from '../pipeline/errors.js';

/** Why an IP-Adapter request cannot run; stable codes that callers map to client errors. */
export const IP_ADAPTER_ERROR_CODES = [
  /** The IP-Adapter folder, its image encoder or its projection does not exist. */
  'ip_adapter_model_missing',
  /** config.json is unreadable, or a graph lacks the inputs/outputs the adapter needs. */
  'ip_adapter_model_invalid',
  /** The adapter was made for another base family (or text width) than the pipeline's. */
  'ip_adapter_family_mismatch',
  /** The pipeline has no UNet exported with image-prompt attention (`ip_unet/`, `ip_controlnet/`), or it does not take this many image tokens. */
  'ip_adapter_unet_missing',
  'ip_adapter_token_mismatch',
  /** An image prompt could not be decoded, or none was given. */
  'ip_adapter_image_invalid',
  /** A scale the export cannot apply (≠ 1 without an `ipadapter_scale` input, or not finite). */
  'ip_adapter_scale_unsupported',
] as const;

export type IpAdapterErrorCode = (typeof IP_ADAPTER_ERROR_CODES)[number];

/**
 * A permanent IP-Adapter failure. It is an UnsupportedRequestError, so callers that already treat
 * those as client errors (the worker: permanent, 4xx) do so here too; `code` says which.
 */
export class IpAdapterError extends UnsupportedRequestError {
  constructor(
    readonly code: IpAdapterErrorCode,
    field: string,
    message: string,
  ) {
    super(field, message);
    this.name = 'IpAdapterError';
  }
}
