import type { DetectedFace } from './detected-face.js';

/** One stride's raw heads: scores [N] (or [N,1]), box distances [N,4], landmark offsets [N,10]. */
export interface ScrfdHead {
  readonly stride: number;
  readonly scores: ArrayLike<number>;
  readonly boxes: ArrayLike<number>;
  readonly landmarks: ArrayLike<number>;
}

/**
 * SCRFD's layouts by output count (insightface scrfd.py `_init_vars`): 9 outputs are strides 8,
 * 16, 32 with 2 anchors per location; 15 are strides 8…128 with 1 anchor. (6 and 10 have no
 * landmarks, which alignment needs, so they are refused.)
 */
export function scrfdLayout(outputCount: number): { strides: number[]; anchors: number } | null {
  if (outputCount === 9) return { strides: [8, 16, 32], anchors: 2 };
  if (outputCount === 15) return { strides: [8, 16, 32, 64, 128], anchors: 1 };
  return null;
}

/** Anchors a stride has on a width × height input: (⌈h/s⌉ · ⌈w/s⌉ as insightface's floor division) · anchors. */
export function anchorCount(inputWidth: number, inputHeight: number, stride: number, anchors: number): number {
  return Math.floor(inputHeight / stride) * Math.floor(inputWidth / stride) * anchors;
}

/**
 * insightface SCRFD.forward: anchor centres (x·s, y·s) row-major, each repeated once per anchor;
 * boxes = centre ∓ distance·s (x1, y1 minus; x2, y2 plus); landmarks = centre + offset·s; kept
 * where score ≥ threshold; then divided by `detScale` back to image pixels. Not yet suppressed.
 */
export function decodeScrfd(heads: readonly ScrfdHead[], inputWidth: number, anchors: number, threshold: number, detScale: number): DetectedFace[] {
  const faces: DetectedFace[] = [];
  for (const head of heads) {
    const { stride } = head;
    const columns = Math.floor(inputWidth / stride);
    for (let i = 0; i < head.scores.length; i++) {
      const score = head.scores[i];
      if (!(score >= threshold)) continue;
      const location = Math.floor(i / anchors);
      const cx = (location % columns) * stride;
      const cy = Math.floor(location / columns) * stride;
      const box = {
        x1: (cx - head.boxes[i * 4] * stride) / detScale,
        y1: (cy - head.boxes[i * 4 + 1] * stride) / detScale,
        x2: (cx + head.boxes[i * 4 + 2] * stride) / detScale,
        y2: (cy + head.boxes[i * 4 + 3] * stride) / detScale,
      };
      const landmarks = [0, 1, 2, 3, 4].map((k) => ({
        x: (cx + head.landmarks[i * 10 + k * 2] * stride) / detScale,
        y: (cy + head.landmarks[i * 10 + k * 2 + 1] * stride) / detScale,
      }));
      faces.push({ box, score, landmarks });
    }
  }
  return faces;
}

/** SCRFD.detect's letterbox: the image fitted into the input keeping its aspect, at the top left. */
export function scrfdResize(imageWidth: number, imageHeight: number, inputWidth: number, inputHeight: number): { width: number; height: number; detScale: number } {
  const imageRatio = imageHeight / imageWidth;
  const modelRatio = inputHeight / inputWidth;
  let width: number;
  let height: number;
  if (imageRatio > modelRatio) {
    height = inputHeight;
    width = Math.trunc(height / imageRatio);
  } else {
    width = inputWidth;
    height = Math.trunc(width * imageRatio);
  }
  return { width, height, detScale: height / imageHeight };
}
