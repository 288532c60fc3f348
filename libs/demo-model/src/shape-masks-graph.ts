import type { Ops } from '@atelier/onnx-graph';
import { SHAPE_MASKS, shapePoint, type MaskAlgebra } from './shape-geometry.js';
import { DEMO_SHAPES } from './vocabulary.js';

function graphAlgebra(ops: Ops): MaskAlgebra<string, string> {
  return {
    constant: (value) => ops.scalar(value),
    add: ops.add,
    mul: ops.mul,
    abs: ops.abs,
    max: (a, b) => ops.max(a, b),
    min: (a, b) => ops.min(a, b),
    lessOrEqual: ops.lessOrEqual,
    and: ops.and,
  };
}

/** Centred coordinates (2i + 1 - n) / min(h, w) along one side of length `size` (float [1]). */
function centredCoordinates(ops: Ops, size: string, minSide: string): string {
  const index = ops.range(ops.scalar(0), ops.squeeze(size, [0]), ops.scalar(1));
  return ops.div(ops.sub(ops.add(ops.mul(index, ops.scalar(2)), ops.scalar(1)), size), minSide);
}

/**
 * Float 0/1 masks of every demo shape, [1, shapes, h, w], on the latent grid of `sample`
 * ([batch, channels, h, w]), computed from its runtime shape so any size works.
 */
export function appendShapeMasks(ops: Ops, sample: string): string {
  const sampleShape = ops.shape(sample);
  const heightInt = ops.slice(sampleShape, [2], [3], [0]);
  const widthInt = ops.slice(sampleShape, [3], [4], [0]);
  const height = ops.cast(heightInt, 'float32');
  const width = ops.cast(widthInt, 'float32');
  const minSide = ops.min(height, width);
  const v = ops.unsqueeze(centredCoordinates(ops, height, minSide), [1]);
  const u = ops.unsqueeze(centredCoordinates(ops, width, minSide), [0]);
  const gridShape = ops.concat([heightInt, widthInt], 0);

  const algebra = graphAlgebra(ops);
  const point = shapePoint(algebra, u, v);
  const masks = DEMO_SHAPES.map((shape) => {
    // Masks that depend on one axis only (the stripe) broadcast to [h, 1]; Expand fills the grid.
    const inside = ops.expand(SHAPE_MASKS[shape](algebra, point), gridShape);
    return ops.unsqueeze(ops.cast(inside, 'float32'), [0]);
  });
  return ops.unsqueeze(ops.concat(masks, 0), [0]);
}
