import type { Affine, Point } from './affine.js';

/**
 * The least-squares similarity transform (rotation, uniform scale, translation; no reflection)
 * taking `from` onto `to`: Umeyama's estimate, in its closed 2-D form. With centred points
 * p, q it is [[s, −r], [r, s]] with s = Σ p·q / Σ|p|², r = Σ (p × q) / Σ|p|², and the translation
 * that maps the centroids onto each other. skimage's SimilarityTransform.estimate and
 * cv2.estimateAffinePartial2D's least-squares refinement solve the same problem.
 */
export function estimateSimilarity(from: readonly Point[], to: readonly Point[]): Affine {
  if (from.length !== to.length || from.length < 2) throw new RangeError(`need two or more point pairs, got ${from.length} and ${to.length}`);
  const n = from.length;
  let fx = 0;
  let fy = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < n; i++) {
    fx += from[i].x / n;
    fy += from[i].y / n;
    tx += to[i].x / n;
    ty += to[i].y / n;
  }
  let norm = 0;
  let dot = 0;
  let cross = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i].x - fx;
    const py = from[i].y - fy;
    const qx = to[i].x - tx;
    const qy = to[i].y - ty;
    norm += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  if (norm === 0) throw new RangeError('the source points coincide');
  const s = dot / norm;
  const r = cross / norm;
  return { a: s, b: -r, c: tx - (s * fx - r * fy), d: r, e: s, f: ty - (r * fx + s * fy) };
}
