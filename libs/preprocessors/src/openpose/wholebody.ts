import type { BodyKeypoints, FaceLandmarks } from './body-pose.js';

/** A DWPose keypoint in image pixels with its score (COCO-WholeBody order, 133 of them). */
export interface ScoredPoint {
  readonly x: number;
  readonly y: number;
  readonly score: number;
}

/** COCO order → OpenPose order once the neck sits at 17: OPENPOSE[i] takes COCO_WITH_NECK[i]. */
const OPENPOSE_INDEX = [1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17];
const COCO_WITH_NECK_INDEX = [17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3];
/** A keypoint is drawn when its score is above this. */
export const KEYPOINT_THRESHOLD = 0.3;

/**
 * DWPose's COCO-WholeBody person → OpenPose's 18 body keypoints, normalised to the image: a neck
 * is inserted at 17 (the shoulders' mean, scored 1 when both shoulders score above 0.3, else 0),
 * the body is reordered into OpenPose's order, and keypoints scoring ≤ 0.3 are dropped.
 */
export function toOpenposeBody(person: readonly ScoredPoint[], width: number, height: number): BodyKeypoints {
  const left = person[5];
  const right = person[6];
  const neck: ScoredPoint = {
    x: (left.x + right.x) / 2,
    y: (left.y + right.y) / 2,
    score: left.score > KEYPOINT_THRESHOLD && right.score > KEYPOINT_THRESHOLD ? 1 : 0,
  };
  const withNeck = [...person.slice(0, 17), neck];
  const body = [...withNeck];
  OPENPOSE_INDEX.forEach((target, i) => {
    body[target] = withNeck[COCO_WITH_NECK_INDEX[i]];
  });
  return body.map((point) => (point.score > KEYPOINT_THRESHOLD ? { x: point.x / width, y: point.y / height } : null));
}

/**
 * The 68 face landmarks (COCO-WholeBody 23..90), normalised; DWposeDetector hides those scoring
 * below 0.3 (the body's test is "above 0.3", the face's "not below").
 */
export function toFaceLandmarks(person: readonly ScoredPoint[], width: number, height: number): FaceLandmarks {
  return person.slice(23, 91).map((point) => (point.score >= KEYPOINT_THRESHOLD ? { x: point.x / width, y: point.y / height } : null));
}
