import type { MaskImage, RgbImage } from '../pipeline/images.js';

export interface CanvasExtension {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/**
 * Outpainting as inpainting: the image is placed on a larger canvas whose new area is filled by
 * stretching the nearest edge pixels (A1111's "fill"), and the mask marks exactly that area.
 */
export function extendCanvas(image: RgbImage, sides: CanvasExtension): { image: RgbImage; mask: MaskImage } {
  const width = image.width + sides.left + sides.right;
  const height = image.height + sides.top + sides.bottom;
  const data = new Float32Array(width * height * 3);
  const mask = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, y - sides.top));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, x - sides.left));
      const inside = x >= sides.left && x < sides.left + image.width && y >= sides.top && y < sides.top + image.height;
      mask[y * width + x] = inside ? 0 : 1;
      const source = (sy * image.width + sx) * 3;
      const target = (y * width + x) * 3;
      data[target] = image.data[source];
      data[target + 1] = image.data[source + 1];
      data[target + 2] = image.data[source + 2];
    }
  }
  return { image: { width, height, data }, mask: { width, height, data: mask } };
}
