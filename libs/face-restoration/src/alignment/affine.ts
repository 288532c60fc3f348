/** A 2×3 affine map (x, y) → (a·x + b·y + c, d·x + e·y + f), cv2's row-major layout. */
export interface Affine {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly f: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export function applyAffine(m: Affine, p: Point): Point {
  return { x: m.a * p.x + m.b * p.y + m.c, y: m.d * p.x + m.e * p.y + m.f };
}

/** cv2.invertAffineTransform. */
export function invertAffine(m: Affine): Affine {
  const det = m.a * m.e - m.b * m.d;
  if (det === 0 || !Number.isFinite(det)) throw new RangeError('affine map is not invertible');
  const a = m.e / det;
  const b = -m.b / det;
  const d = -m.d / det;
  const e = m.a / det;
  return { a, b, c: -(a * m.c + b * m.f), d, e, f: -(d * m.c + e * m.f) };
}

export function affineRows(m: Affine): [[number, number, number], [number, number, number]] {
  return [
    [m.a, m.b, m.c],
    [m.d, m.e, m.f],
  ];
}
