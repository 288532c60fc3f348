/** SDXL's VAE latent scaling (diffusers' AutoencoderKL config of stabilityai/sdxl-vae). */
export const SDXL_SCALING_FACTOR = 0.13025;

/** diffusers' StableDiffusionXLImg2ImgPipeline defaults for requires_aesthetics_score models. */
export const AESTHETIC_SCORE = 6.0;
export const NEGATIVE_AESTHETIC_SCORE = 2.5;

/**
 * time_ids a correct SDXL base pipeline feeds for a width × height image with diffusers' defaults:
 * original_size (h, w) + crops_coords_top_left (0, 0) + target_size (h, w).
 */
export function sdxlTimeIds(width: number, height: number): Float32Array {
  return Float32Array.of(height, width, 0, 0, height, width);
}

/** Refiner time_ids: original_size (h, w) + crop (0, 0) + aesthetic score (6 positive, 2.5 negative). */
export function sdxlRefinerTimeIds(width: number, height: number, aestheticScore: number = AESTHETIC_SCORE): Float32Array {
  return Float32Array.of(height, width, 0, 0, aestheticScore);
}
