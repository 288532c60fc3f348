/** A keypoint in the pose model's input pixels with its SimCC confidence. */
export interface SimccKeypoint {
  readonly x: number;
  readonly y: number;
  readonly score: number;
}

/**
 * SimCC decoding (RTMPose / DWPose): per keypoint the argmax of its x and y classification
 * vectors, divided by the split ratio (2: the vectors have twice the input's width and height
 * bins); the score is the smaller of the two maxima, and a score ≤ 0 marks the location -1.
 */
export function decodeSimcc(simccX: Float32Array, simccY: Float32Array, keypoints: number, splitRatio = 2): SimccKeypoint[] {
  const binsX = simccX.length / keypoints;
  const binsY = simccY.length / keypoints;
  const result: SimccKeypoint[] = [];
  for (let k = 0; k < keypoints; k++) {
    const [ix, vx] = argmax(simccX, k * binsX, binsX);
    const [iy, vy] = argmax(simccY, k * binsY, binsY);
    const score = vx > vy ? vy : vx;
    result.push(score <= 0 ? { x: -1 / splitRatio, y: -1 / splitRatio, score } : { x: ix / splitRatio, y: iy / splitRatio, score });
  }
  return result;
}

/** First index of the maximum, as np.argmax. */
function argmax(values: Float32Array, offset: number, length: number): [number, number] {
  let best = 0;
  let value = values[offset];
  for (let i = 1; i < length; i++) {
    if (values[offset + i] > value) {
      value = values[offset + i];
      best = i;
    }
  }
  return [best, value];
}
