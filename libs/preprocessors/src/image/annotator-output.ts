import { cvResize } from './cv-resize.js';
import { hwc3, type PixelImage } from './pixel-image.js';
import { pilLanczosResize } from './pil-resize.js';
import { annotatorSize } from './resize-image.js';

/** Where a detected map ends up: controlnet_aux's image_resolution, then the generation size. */
export interface OutputSize {
  /** Generation width and height: diffusers resizes the control image to this (PIL Lanczos). */
  readonly width: number;
  readonly height: number;
  /** controlnet_aux's image_resolution; defaults to min(width, height) of the generation. */
  readonly imageResolution?: number;
}

/**
 * The annotators' tail: HWC3, cv2 INTER_LINEAR to resize_image(input, image_resolution)'s size,
 * then diffusers' control image processor's PIL Lanczos resize to the generation size (each a
 * no-op when the size already matches).
 */
export function toOutputSize(map: PixelImage, input: { width: number; height: number }, size: OutputSize): PixelImage {
  return toGenerationSize(toImageResolution(map, input, size), size);
}

/** controlnet_aux's last step: HWC3 and cv2 INTER_LINEAR to resize_image(input, image_resolution)'s size. */
export function toImageResolution(map: PixelImage, input: { width: number; height: number }, size: OutputSize): PixelImage {
  const resolution = size.imageResolution ?? Math.min(size.width, size.height);
  const annotated = annotatorSize(input.width, input.height, resolution);
  return cvResize(hwc3(map), annotated.width, annotated.height, 'linear');
}

/** diffusers' control image processor: PIL Lanczos to the generation size. */
export function toGenerationSize(map: PixelImage, size: OutputSize): PixelImage {
  return pilLanczosResize(hwc3(map), size.width, size.height);
}
