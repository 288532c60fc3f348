import { cvResize } from '../image/cv-resize.js';
import type { PixelImage } from '../image/pixel-image.js';

/** A detection box in input-image pixels. */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly score: number;
}

/**
 * YOLOX's letterbox: scaled (cv2 INTER_LINEAR) by r = min(size/h, size/w) into the top-left of a
 * size x size canvas of 114s, NCHW float32 0..255, channels as given.
 */
export function yoloxInput(image: PixelImage, inputWidth: number, inputHeight: number): { data: Float32Array; ratio: number } {
  const ratio = Math.min(inputHeight / image.height, inputWidth / image.width);
  const width = Math.trunc(image.width * ratio);
  const height = Math.trunc(image.height * ratio);
  const resized = cvResize(image, width, height, 'linear');
  const plane = inputWidth * inputHeight;
  const data = new Float32Array(3 * plane).fill(114);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[c * plane + y * inputWidth + x] = resized.data[(y * width + x) * 3 + c];
    }
  }
  return { data, ratio };
}

/**
 * Decodes YOLOX's raw [anchors, 5 + classes] head (strides 8, 16, 32 over the input grid):
 * centre = (offset + cell) * stride, size = exp(log size) * stride, score = objectness x class
 * score. Returns the person (class 0) boxes after NMS (IoU 0.45 over scores > 0.1), keeping those
 * scoring above 0.3, in the input image's pixels.
 */
export function decodePersons(raw: Float32Array, anchors: number, values: number, inputWidth: number, inputHeight: number, ratio: number): Box[] {
  const candidates: Box[] = [];
  let anchor = 0;
  for (const stride of [8, 16, 32]) {
    const rows = Math.floor(inputHeight / stride);
    const columns = Math.floor(inputWidth / stride);
    for (let gy = 0; gy < rows; gy++) {
      for (let gx = 0; gx < columns; gx++, anchor++) {
        if (anchor >= anchors) break;
        const at = anchor * values;
        const score = raw[at + 4] * raw[at + 5];
        if (score <= 0.1) continue;
        const cx = (raw[at] + gx) * stride;
        const cy = (raw[at + 1] + gy) * stride;
        const w = Math.exp(raw[at + 2]) * stride;
        const h = Math.exp(raw[at + 3]) * stride;
        candidates.push({ x1: (cx - w / 2) / ratio, y1: (cy - h / 2) / ratio, x2: (cx + w / 2) / ratio, y2: (cy + h / 2) / ratio, score });
      }
    }
  }
  return nonMaximumSuppression(candidates, 0.45).filter((box) => box.score > 0.3);
}

/** Greedy NMS as the YOLOX demo code does it (areas with the +1 pixel convention). */
export function nonMaximumSuppression(boxes: readonly Box[], iouThreshold: number): Box[] {
  const order = [...boxes].sort((a, b) => b.score - a.score);
  const area = (b: Box): number => (b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1);
  const kept: Box[] = [];
  while (order.length > 0) {
    const best = order.shift() as Box;
    kept.push(best);
    for (let i = order.length - 1; i >= 0; i--) {
      const other = order[i];
      const w = Math.max(0, Math.min(best.x2, other.x2) - Math.max(best.x1, other.x1) + 1);
      const h = Math.max(0, Math.min(best.y2, other.y2) - Math.max(best.y1, other.y1) + 1);
      const inter = w * h;
      if (inter / (area(best) + area(other) - inter) > iouThreshold) order.splice(i, 1);
    }
  }
  return kept;
}
