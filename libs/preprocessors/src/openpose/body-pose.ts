import { pixelImage, type PixelImage } from '../image/pixel-image.js';
import { ellipse2Poly, fillCircle, fillConvexPoly, type Canvas, type Colour } from './cv-draw.js';

/** One person's 18 OpenPose body keypoints, normalised to [0,1] of the canvas; null = not visible. */
export type BodyKeypoints = readonly ({ readonly x: number; readonly y: number } | null)[];

/**
 * The 18 colours and 17 limbs (1-based keypoint pairs) of ControlNet's OpenPose maps: limb i and
 * keypoint i share colour i. These are the values ControlNet's openpose models were trained on
 * (annotator/openpose/util.py draw_bodypose; the last two pairs of its limb list are never drawn).
 */
export const BODY_COLOURS: readonly Colour[] = [
  [255, 0, 0],
  [255, 85, 0],
  [255, 170, 0],
  [255, 255, 0],
  [170, 255, 0],
  [85, 255, 0],
  [0, 255, 0],
  [0, 255, 85],
  [0, 255, 170],
  [0, 255, 255],
  [0, 170, 255],
  [0, 85, 255],
  [0, 0, 255],
  [85, 0, 255],
  [170, 0, 255],
  [255, 0, 255],
  [255, 0, 170],
  [255, 0, 85],
];
export const BODY_LIMBS: readonly (readonly [number, number])[] = [
  [2, 3],
  [2, 6],
  [3, 4],
  [4, 5],
  [6, 7],
  [7, 8],
  [2, 9],
  [9, 10],
  [10, 11],
  [2, 12],
  [12, 13],
  [13, 14],
  [2, 1],
  [1, 15],
  [15, 17],
  [1, 16],
  [16, 18],
];
/** Limb half-width: the ellipse's minor semi-axis. */
export const STICK_WIDTH = 4;
/** Keypoint disc radius. */
export const KEYPOINT_RADIUS = 4;
/** Face landmarks (openpose_face): white filled circles of radius 3, drawn over the body. */
export const FACE_RADIUS = 3;
export const FACE_COLOUR: Colour = [255, 255, 255];
/** One person's 68 face landmarks, normalised; null = not visible. */
export type FaceLandmarks = readonly ({ readonly x: number; readonly y: number } | null)[];

/** The limbs are dimmed to 60% (truncated) before the keypoints are drawn over them. */
export const LIMB_DIMMING = 0.6;

/**
 * Draws people as ControlNet's openpose annotator does on a black canvas: each limb a filled
 * ellipse (cv2.ellipse2Poly with 1° steps + fillConvexPoly), all limbs dimmed to 60%, then a
 * filled radius-4 circle on every visible keypoint; then face landmarks when given (hands are
 * not drawn: Atelier's openpose is body, or body + face).
 */
export function drawBodies(people: readonly BodyKeypoints[], width: number, height: number, faces: readonly FaceLandmarks[] = []): PixelImage {
  const canvas: Canvas = { width, height, data: new Uint8Array(width * height * 3) };
  BODY_LIMBS.forEach(([a, b], limb) => {
    for (const person of people) {
      const p = person[a - 1];
      const q = person[b - 1];
      if (!p || !q) continue;
      // draw_bodypose's naming: X holds the rows, Y the columns.
      const y0 = p.x * width;
      const y1 = q.x * width;
      const x0 = p.y * height;
      const x1 = q.y * height;
      const meanX = (x0 + x1) / 2;
      const meanY = (y0 + y1) / 2;
      const length = Math.sqrt((x0 - x1) ** 2 + (y0 - y1) ** 2);
      const angle = Math.atan2(x0 - x1, y0 - y1) * (180 / Math.PI); // math.degrees
      const polygon = ellipse2Poly([Math.trunc(meanY), Math.trunc(meanX)], [Math.trunc(length / 2), STICK_WIDTH], Math.trunc(angle), 0, 360, 1);
      fillConvexPoly(canvas, polygon, BODY_COLOURS[limb]);
    }
  });
  for (let i = 0; i < canvas.data.length; i++) canvas.data[i] = Math.trunc(canvas.data[i] * LIMB_DIMMING);
  for (let k = 0; k < 18; k++) {
    for (const person of people) {
      const point = person[k];
      if (!point) continue;
      fillCircle(canvas, [Math.trunc(point.x * width), Math.trunc(point.y * height)], KEYPOINT_RADIUS, BODY_COLOURS[k]);
    }
  }
  for (const face of faces) {
    for (const point of face) {
      if (!point) continue;
      const x = Math.trunc(point.x * width);
      const y = Math.trunc(point.y * height);
      // draw_facepose skips points at x or y ≤ eps (0.01) after truncation, i.e. on row or column 0
      if (x > 0.01 && y > 0.01) fillCircle(canvas, [x, y], FACE_RADIUS, FACE_COLOUR);
    }
  }
  return pixelImage(width, height, 3, canvas.data);
}
