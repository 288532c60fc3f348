import type { DemoShape } from './vocabulary.js';

/**
 * Shape masks written once against a tiny algebra, evaluated both as float32 TypeScript (the
 * reference renderer) and as ONNX nodes (the UNet), so the two agree bit for bit: every step is a
 * single correctly rounded float32 operation on both sides.
 *
 * Coordinates are centred and measured in half the smaller latent side: u = (2i + 1 - w) / min(h, w)
 * at pixel centres, so shapes keep their aspect on non-square canvases; v grows downwards.
 */
export interface MaskAlgebra<V, M> {
  constant(value: number): V;
  add(a: V, b: V): V;
  mul(a: V, b: V): V;
  abs(a: V): V;
  max(a: V, b: V): V;
  min(a: V, b: V): V;
  lessOrEqual(a: V, b: V): M;
  and(a: M, b: M): M;
}

export interface ShapePoint<V> {
  readonly u: V;
  readonly v: V;
  readonly absU: V;
  readonly absV: V;
  readonly radiusSquared: V;
}

export function shapePoint<V, M>(algebra: MaskAlgebra<V, M>, u: V, v: V): ShapePoint<V> {
  return {
    u,
    v,
    absU: algebra.abs(u),
    absV: algebra.abs(v),
    radiusSquared: algebra.add(algebra.mul(u, u), algebra.mul(v, v)),
  };
}

type MaskDefinition = <V, M>(a: MaskAlgebra<V, M>, p: ShapePoint<V>) => M;

export const SHAPE_MASKS: Readonly<Record<DemoShape, MaskDefinition>> = {
  circle: (a, p) => a.lessOrEqual(p.radiusSquared, a.constant(0.36)),
  square: (a, p) => a.lessOrEqual(a.max(p.absU, p.absV), a.constant(0.5)),
  // Apex up at v = -0.7, base at v = 0.4, so the centroid sits near the canvas centre.
  triangle: (a, p) =>
    a.and(a.lessOrEqual(p.v, a.constant(0.4)), a.lessOrEqual(a.mul(p.absU, a.constant(1.75)), a.add(p.v, a.constant(0.7)))),
  diamond: (a, p) => a.lessOrEqual(a.add(p.absU, p.absV), a.constant(0.7)),
  ring: (a, p) =>
    a.and(a.lessOrEqual(a.constant(0.16), p.radiusSquared), a.lessOrEqual(p.radiusSquared, a.constant(0.4225))),
  stripe: (a, p) => a.lessOrEqual(p.absV, a.constant(0.2)),
  cross: (a, p) =>
    a.and(a.lessOrEqual(a.min(p.absU, p.absV), a.constant(0.2)), a.lessOrEqual(a.max(p.absU, p.absV), a.constant(0.65))),
};

/** Float32 evaluation for the reference renderer. */
export const FLOAT32_ALGEBRA: MaskAlgebra<number, boolean> = {
  constant: Math.fround,
  add: (a, b) => Math.fround(a + b),
  mul: (a, b) => Math.fround(a * b),
  abs: Math.abs,
  max: Math.max,
  min: Math.min,
  lessOrEqual: (a, b) => a <= b,
  and: (a, b) => a && b,
};

/** u (or v) of latent cell `index` along a side of `size` cells; `minSide` = min(h, w). */
export function centredCoordinate(index: number, size: number, minSide: number): number {
  return Math.fround((2 * index + 1 - size) / minSide);
}
