import type { PixelImage } from '../image/pixel-image.js';
import type { Box } from './yolox.js';

/** The crop the pose model sees: centre and (aspect-fixed) size in image pixels. */
export interface PoseCrop {
  readonly centerX: number;
  readonly centerY: number;
  readonly scaleX: number;
  readonly scaleY: number;
}

/**
 * RTMPose's bbox_xyxy2cs with padding 1.25, then _fix_aspect_ratio to the model's w/h: the box
 * grows along one side until it has the model input's aspect ratio.
 */
export function poseCrop(box: Pick<Box, 'x1' | 'y1' | 'x2' | 'y2'>, inputWidth: number, inputHeight: number): PoseCrop {
  const aspect = inputWidth / inputHeight;
  let w = (box.x2 - box.x1) * 1.25;
  let h = (box.y2 - box.y1) * 1.25;
  if (w > h * aspect) h = w / aspect;
  else w = h * aspect;
  return { centerX: (box.x1 + box.x2) * 0.5, centerY: (box.y1 + box.y2) * 0.5, scaleX: w, scaleY: h };
}

/**
 * The crop resampled into the model's input (cv2.warpAffine, INTER_LINEAR, zero border) and
 * normalised with ImageNet's mean/std in 0..255 units, NCHW. No rotation: the warp is a scale and
 * a translation, so the source of output pixel (u, v) is centre + (u - w/2) * scale / w.
 * OpenCV samples in 5-bit sub-pixel fixed point; this samples in float (values may differ by a
 * level; keypoints are argmaxes of a network's output and do not notice).
 */
export function poseInput(image: PixelImage, crop: PoseCrop, inputWidth: number, inputHeight: number): Float32Array {
  const mean = [123.675, 116.28, 103.53];
  const std = [58.395, 57.12, 57.375];
  const plane = inputWidth * inputHeight;
  const out = new Float32Array(3 * plane);
  const sx = crop.scaleX / inputWidth;
  const sy = crop.scaleY / inputHeight;
  const pixel = (x: number, y: number, c: number): number =>
    x < 0 || y < 0 || x >= image.width || y >= image.height ? 0 : image.data[(y * image.width + x) * 3 + c];
  for (let v = 0; v < inputHeight; v++) {
    const fy = crop.centerY + (v - inputHeight * 0.5) * sy;
    const y0 = Math.floor(fy);
    const ty = fy - y0;
    for (let u = 0; u < inputWidth; u++) {
      const fx = crop.centerX + (u - inputWidth * 0.5) * sx;
      const x0 = Math.floor(fx);
      const tx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const top = pixel(x0, y0, c) * (1 - tx) + pixel(x0 + 1, y0, c) * tx;
        const bottom = pixel(x0, y0 + 1, c) * (1 - tx) + pixel(x0 + 1, y0 + 1, c) * tx;
        const value = Math.round(top * (1 - ty) + bottom * ty);
        out[c * plane + v * inputWidth + u] = (value - mean[c]) / std[c];
      }
    }
  }
  return out;
}

/** A keypoint from model-input pixels back to image pixels: k / size * scale + centre - scale / 2. */
export function fromCrop(x: number, y: number, crop: PoseCrop, inputWidth: number, inputHeight: number): { x: number; y: number } {
  return {
    x: (x / inputWidth) * crop.scaleX + crop.centerX - crop.scaleX / 2,
    y: (y / inputHeight) * crop.scaleY + crop.centerY - crop.scaleY / 2,
  };
}
