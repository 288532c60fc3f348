import type { Environment } from './env.schema.js';

/** What an init_image / mask_image may be. One definition: the API refuses at submission what a worker would refuse. */
export interface SourceImageLimits {
  /** Encoded size (inline base64 after decoding, or a downloaded body). */
  readonly maxBytes: number;
  /** Width and height each. */
  readonly maxSide: number;
  /** Width × height, as declared by the image header (a decompression bomb is refused before decoding). */
  readonly maxPixels: number;
}

export function sourceImageLimits(env: Pick<Environment, 'MAX_IMAGE_BYTES' | 'MAX_IMAGE_DIMENSION' | 'MAX_PIXELS'>): SourceImageLimits {
  return { maxBytes: env.MAX_IMAGE_BYTES, maxSide: env.MAX_IMAGE_DIMENSION, maxPixels: env.MAX_PIXELS };
}
