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

/** cvRound: nearest, halves to even. */
function cvRound(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * RTMPose's get_warp_matrix for rotation 0: three float32 point pairs (centre, centre minus half
 * the width upwards, and the point a right angle from them) mapped onto the model input, which
 * for these points is a uniform scale k and a translation. Returned as the inverse map OpenCV's
 * warpAffine samples with: source = (A11 * u + B1, A22 * v + B2).
 */
export function inverseWarp(crop: PoseCrop, inputWidth: number, inputHeight: number): { a11: number; b1: number; a22: number; b2: number } {
  const f = Math.fround;
  const cx = f(crop.centerX);
  const cy = f(crop.centerY);
  const top = f(crop.centerY + crop.scaleX * -0.5);
  const k = (inputWidth * 0.5) / f(cy - top);
  const m02 = inputWidth * 0.5 - k * cx;
  const m12 = inputHeight * 0.5 - k * cy;
  // invertAffineTransform
  const d = 1 / (k * k);
  const a11 = k * d;
  const a22 = k * d;
  return { a11, b1: -a11 * m02, a22, b2: -a22 * m12 };
}

/**
 * The crop resampled into the model's input as cv2.warpAffine(INTER_LINEAR, constant 0 border)
 * does on 8 bits, normalised with ImageNet's mean/std in 0..255 units, NCHW.
 */
export function poseInput(image: PixelImage, crop: PoseCrop, inputWidth: number, inputHeight: number): Float32Array {
  const warped = warpCrop(image, crop, inputWidth, inputHeight);
  const mean = [123.675, 116.28, 103.53];
  const std = [58.395, 57.12, 57.375];
  const plane = inputWidth * inputHeight;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (warped[i * 3 + c] - mean[c]) / std[c];
  return out;
}

/**
 * cv2.warpAffine of the crop, 8-bit RGB, inputWidth x inputHeight, as OpenCV 5 computes it: the
 * source position in float32 (A11 * u + B1), then two float32 lerps rounded half to even.
 * (OpenCV 4.x samples in 5-bit sub-pixel fixed point instead and differs by a level or two on
 * some pixels; the pose network does not notice either.)
 */
export function warpCrop(image: PixelImage, crop: PoseCrop, inputWidth: number, inputHeight: number): Uint8Array {
  const f = Math.fround;
  const { a11, b1, a22, b2 } = inverseWarp(crop, inputWidth, inputHeight);
  const out = new Uint8Array(inputWidth * inputHeight * 3);
  const pixel = (x: number, y: number, c: number): number =>
    x < 0 || y < 0 || x >= image.width || y >= image.height ? 0 : image.data[(y * image.width + x) * 3 + c];
  for (let v = 0; v < inputHeight; v++) {
    const sy = f(f(f(a22) * v) + f(b2));
    const y0 = Math.floor(sy);
    const ay = f(sy - y0);
    for (let u = 0; u < inputWidth; u++) {
      const sx = f(f(f(a11) * u) + f(b1));
      const x0 = Math.floor(sx);
      const ax = f(sx - x0);
      for (let c = 0; c < 3; c++) {
        const p00 = pixel(x0, y0, c);
        const p01 = pixel(x0 + 1, y0, c);
        const p10 = pixel(x0, y0 + 1, c);
        const p11 = pixel(x0 + 1, y0 + 1, c);
        const top = f(p00 + f(ax * (p01 - p00)));
        const bottom = f(p10 + f(ax * (p11 - p10)));
        out[(v * inputWidth + u) * 3 + c] = Math.min(255, Math.max(0, cvRound(f(top + f(ay * f(bottom - top))))));
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
