import { pilBilinearResize, type PixelImage } from '@atelier/preprocessors';
import { preprocessSize, SAM_IMAGE_SIZE } from './sam-transform.js';

/** SAM's pixel mean and std on the 0–255 scale (ImageNet's, times 255). */
export const SAM_PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_PIXEL_STD = [58.395, 57.12, 57.375] as const;

/**
 * The encoder input `[1,3,1024,1024]` for an 8-bit RGB image, as SamPredictor.set_image and
 * SamImageProcessor build it: the long side resized to 1024 with PIL's bilinear filter (8-bit
 * result), normalised with SAM's mean and std, then zero-padded at the bottom and right (padding
 * comes after normalising, so it is 0 in the normalised space).
 */
export function encoderInput(image: PixelImage): Float32Array {
  if (image.channels !== 3) throw new RangeError(`expected an RGB image, got ${image.channels} channels`);
  const size = preprocessSize(image);
  const resized = pilBilinearResize(image, size.width, size.height);
  const plane = SAM_IMAGE_SIZE * SAM_IMAGE_SIZE;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < size.height; y++) {
    for (let x = 0; x < size.width; x++) {
      const source = (y * size.width + x) * 3;
      const target = y * SAM_IMAGE_SIZE + x;
      for (let c = 0; c < 3; c++) out[c * plane + target] = (resized.data[source + c] - SAM_PIXEL_MEAN[c]) / SAM_PIXEL_STD[c];
    }
  }
  return out;
}
