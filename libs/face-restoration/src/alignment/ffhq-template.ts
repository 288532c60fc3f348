import type { Point } from './affine.js';

/**
 * The five FFHQ landmarks of a 512×512 aligned face (left eye, right eye, nose tip, left and right
 * mouth corners, as seen in the image): facexlib's FaceRestoreHelper template, which GFPGAN and
 * CodeFormer were trained on. Restorers with another input size use it scaled by size / 512.
 */
export const FFHQ_TEMPLATE_512: readonly Point[] = [
  { x: 192.98138, y: 239.94708 },
  { x: 318.90277, y: 240.1936 },
  { x: 256.63416, y: 314.01935 },
  { x: 201.26117, y: 371.41043 },
  { x: 313.08905, y: 371.15118 },
];

export function ffhqTemplate(size: number): Point[] {
  return FFHQ_TEMPLATE_512.map((p) => ({ x: (p.x * size) / 512, y: (p.y * size) / 512 }));
}
