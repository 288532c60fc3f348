import type { DetectedFace } from './detected-face.js';

/**
 * insightface's greedy NMS (scrfd.py `nms`): highest score first, dropping every later box whose
 * IoU with a kept one is above `threshold`; areas use the +1 pixel convention of that code.
 */
export function nonMaximumSuppression(faces: readonly DetectedFace[], threshold: number): DetectedFace[] {
  const order = faces.map((_, i) => i).sort((i, j) => faces[j].score - faces[i].score);
  const area = (face: DetectedFace): number => (face.box.x2 - face.box.x1 + 1) * (face.box.y2 - face.box.y1 + 1);
  const kept: DetectedFace[] = [];
  let remaining = order;
  while (remaining.length > 0) {
    const best = faces[remaining[0]];
    kept.push(best);
    remaining = remaining.slice(1).filter((index) => {
      const other = faces[index];
      const w = Math.max(0, Math.min(best.box.x2, other.box.x2) - Math.max(best.box.x1, other.box.x1) + 1);
      const h = Math.max(0, Math.min(best.box.y2, other.box.y2) - Math.max(best.box.y1, other.box.y1) + 1);
      const inter = w * h;
      return inter / (area(best) + area(other) - inter) <= threshold;
    });
  }
  return kept;
}
