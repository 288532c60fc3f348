import type { Point } from '../alignment/affine.js';

/** A face in image pixels: box corners, detector score and the five landmarks (eyes, nose, mouth corners). */
export interface DetectedFace {
  readonly box: { readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number };
  readonly score: number;
  readonly landmarks: readonly Point[];
}
