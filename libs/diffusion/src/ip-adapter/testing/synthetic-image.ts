import type { Rgb8Image } from '../pil-bicubic.js';

/**
 * The integer-only test image of libs/diffusion/scripts/make_clip_image_fixtures.py (gradients, a
 * checker and a hash), rebuilt bit for bit so the goldens need no image files.
 */
export function syntheticRgb8(width: number, height: number, variant = 0): Rgb8Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const checker = ((Math.floor(x / 9) + Math.floor(y / 7)) % 2) * 40;
        data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + (c + variant) * 50 + ((x * y) % 17) * 5 + checker) % 256;
      }
    }
  }
  return { width, height, data };
}
