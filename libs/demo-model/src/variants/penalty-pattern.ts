import { attr } from '@atelier/onnx-graph';
import type { Ops } from '@atelier/onnx-graph';

/** (−1)^(row + column) on the latent grid of `sample`, [1, 1, h, w]. */
export function appendCheckerboard(ops: Ops, sample: string): string {
  const sampleShape = ops.shape(sample);
  const zero = ops.int64s([0], []);
  const one = ops.int64s([1], []);
  const indices = (axis: number): string => ops.range(zero, ops.squeeze(ops.slice(sampleShape, [axis], [axis + 1], [0]), [0]), one);
  const sum = ops.add(ops.unsqueeze(indices(2), [1]), ops.unsqueeze(indices(3), [0]));
  const parity = ops.graph.node('Mod', [sum, ops.int64s([2], [])], { fmod: attr.int(0) })[0];
  const checker = ops.sub(ops.scalar(1), ops.mul(ops.scalar(2), ops.cast(parity, 'float32')));
  return ops.unsqueeze(checker, [0, 1]);
}

/**
 * Adds min(penalty, 1) · checkerboard to a signed target ([batch, 3, h, w]); `penalty` is [batch, 1]
 * and exactly 0 when the extra conditioning inputs are what a correct pipeline feeds.
 *
 * Why a checkerboard: any constant shift is hidden by the pipeline's clamp on saturated colours,
 * while ±1 on neighbouring cells always moves half of them into range, so a wrong input shows as a
 * plain, recognisable artefact instead of a subtle colour change.
 */
export function appendPenaltyPattern(ops: Ops, sample: string, signedRgb: string, penalty: string): string {
  const strength = ops.reshape(ops.min(penalty, ops.scalar(1)), [-1, 1, 1, 1]);
  return ops.add(signedRgb, ops.mul(strength, appendCheckerboard(ops, sample)));
}

/** Σ|a − b| over axis 1, [batch, 1]. */
export function appendAbsoluteDifference(ops: Ops, a: string, b: string): string {
  return ops.reduceSum(ops.abs(ops.sub(a, b)), [1], true);
}
