import { applyAffine, type Affine } from '../alignment/affine.js';
import { warpBilinear } from '../alignment/warp.js';
import type { PixelImage } from '../pixel-image.js';
import { softMask } from './soft-mask.js';

/** The image window the face square lands on (its bounding box plus a pixel of slack), clipped. */
export function pasteWindow(faceToImage: Affine, size: number, width: number, height: number): { left: number; top: number; width: number; height: number } | null {
  const corners = [
    { x: -1, y: -1 },
    { x: size, y: -1 },
    { x: -1, y: size },
    { x: size, y: size },
  ].map((p) => applyAffine(faceToImage, p));
  const left = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))) - 1);
  const top = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))) - 1);
  const right = Math.min(width, Math.ceil(Math.max(...corners.map((p) => p.x))) + 2);
  const bottom = Math.min(height, Math.ceil(Math.max(...corners.map((p) => p.y))) + 2);
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : null;
}

/**
 * Pastes a restored face (HWC RGB, 0–255, `size`²) back into `image` in place, as facexlib's
 * paste_faces_to_input_image does: the face warped back with the inverse alignment, multiplied by
 * the 2×2-eroded warped mask, blended over the image by the soft mask; then `visibility` blends
 * that with the original (A1111's codeformer/gfpgan visibility). Alpha is left as it was.
 */
export function pasteFace(image: PixelImage, restored: Float32Array, size: number, imageToFace: Affine, faceToImage: Affine, visibility: number): void {
  const window = pasteWindow(faceToImage, size, image.width, image.height);
  if (!window) return;
  const ones = { width: size, height: size, channels: 1, data: new Float32Array(size * size).fill(1) };
  const warpedMask = warpBilinear(ones, imageToFace, window.width, window.height, [0], window);
  const { eroded, soft } = softMask(warpedMask, window.width, window.height);
  const face = warpBilinear({ width: size, height: size, channels: 3, data: restored }, imageToFace, window.width, window.height, [0, 0, 0], window);
  for (let v = 0; v < window.height; v++) {
    for (let u = 0; u < window.width; u++) {
      const m = v * window.width + u;
      const weight = soft[m] * visibility;
      if (weight === 0) continue;
      const at = ((window.top + v) * image.width + window.left + u) * image.channels;
      for (let c = 0; c < 3; c++) {
        const original = image.data[at + c];
        const value = original + weight * (eroded[m] * face[m * 3 + c] - original);
        image.data[at + c] = Math.min(255, Math.max(0, Math.round(value)));
      }
    }
  }
}
