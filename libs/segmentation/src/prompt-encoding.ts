import type { SegmentationPrompts } from './prompts.js';
import { toModelFrame, type Size } from './sam-transform.js';

/** SAM's point labels: 0 negative, 1 positive, 2/3 a box's corners, -1 padding (no point). */
export const LABEL_NEGATIVE = 0;
export const LABEL_POSITIVE = 1;
export const LABEL_BOX_TOP_LEFT = 2;
export const LABEL_BOX_BOTTOM_RIGHT = 3;
export const LABEL_PADDING = -1;

/** Points in the 1024 frame and their labels, in the order the decoder takes them. */
export interface EncodedPoints {
  /** x0, y0, x1, y1, ... */
  readonly coords: Float32Array;
  readonly labels: readonly number[];
}

function clickPoints(prompts: SegmentationPrompts, size: Size): { coords: number[]; labels: number[] } {
  const coords: number[] = [];
  const labels: number[] = [];
  for (const point of prompts.points) {
    const mapped = toModelFrame(point, size);
    coords.push(mapped.x, mapped.y);
    labels.push(point.label === 'positive' ? LABEL_POSITIVE : LABEL_NEGATIVE);
  }
  return { coords, labels };
}

/**
 * The official export's prompt (SAM's onnx example): the clicks, then the box as its two corners
 * labelled 2 and 3; without a box a padding point (0,0) labelled -1 is appended, as
 * SamPredictor does, because the exported prompt encoder does not pad by itself.
 */
export function officialPoints(prompts: SegmentationPrompts, size: Size): EncodedPoints {
  const { coords, labels } = clickPoints(prompts, size);
  const box = prompts.boxes[0];
  if (box) {
    const topLeft = toModelFrame({ x: box.x0, y: box.y0 }, size);
    const bottomRight = toModelFrame({ x: box.x1, y: box.y1 }, size);
    coords.push(topLeft.x, topLeft.y, bottomRight.x, bottomRight.y);
    labels.push(LABEL_BOX_TOP_LEFT, LABEL_BOX_BOTTOM_RIGHT);
  } else {
    coords.push(0, 0);
    labels.push(LABEL_PADDING);
  }
  return { coords: Float32Array.from(coords), labels };
}

/**
 * The transformers.js layout's prompt: the clicks alone; its graph appends the padding point
 * itself (it was traced without boxes, so it has no box input and takes no box).
 */
export function transformersPoints(prompts: SegmentationPrompts, size: Size): EncodedPoints {
  const { coords, labels } = clickPoints(prompts, size);
  return { coords: Float32Array.from(coords), labels };
}
