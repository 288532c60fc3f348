import { cvResize } from './cv-resize.js';
import type { PixelImage } from './pixel-image.js';

/** Python's round(): halves go to the even neighbour (np.round does the same). */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The size controlnet_aux's resize_image gives: the short side scaled to `resolution`, both sides
 * rounded to a multiple of 64.
 */
export function annotatorSize(width: number, height: number, resolution: number): { width: number; height: number; k: number } {
  const k = resolution / Math.min(height, width);
  return { width: roundHalfEven((width * k) / 64) * 64, height: roundHalfEven((height * k) / 64) * 64, k };
}

/** controlnet_aux's resize_image: Lanczos-4 when enlarging, area averaging when shrinking. */
export function resizeForAnnotator(image: PixelImage, resolution: number): PixelImage {
  const size = annotatorSize(image.width, image.height, resolution);
  return cvResize(image, size.width, size.height, size.k > 1 ? 'lanczos4' : 'area');
}
