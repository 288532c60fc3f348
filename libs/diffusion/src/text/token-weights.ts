/** Shape of a text encoder's hidden states: [batch, sequence length, embedding size]. */
export type HiddenStateDims = readonly [batch: number, sequence: number, channels: number];

/**
 * A1111's emphasis: multiplies every token's embedding by its weight, then rescales the whole
 * tensor so that its mean is what it was before (A1111 takes one mean over the whole batch of
 * the chunk, not one per batch item, and so does this).
 *
 * Works IN PLACE on `hidden` (row-major [batch, sequence, channels]) and returns it. `weights`
 * holds one weight per token: batch × sequence values, or sequence values shared by every
 * batch item. When the weighted mean is exactly 0 the rescaling is skipped rather than
 * dividing by zero.
 */
export function applyTokenWeights(hidden: Float32Array, dims: HiddenStateDims, weights: Float32Array): Float32Array {
  const [batch, sequence, channels] = dims;
  if (![batch, sequence, channels].every((n) => Number.isInteger(n) && n > 0)) {
    throw new RangeError(`Hidden state dims must be positive integers, got [${dims.join(', ')}]`);
  }
  if (hidden.length !== batch * sequence * channels) {
    throw new RangeError(`Hidden states hold ${hidden.length} values, dims [${dims.join(', ')}] need ${batch * sequence * channels}`);
  }
  if (weights.length !== batch * sequence && weights.length !== sequence) {
    throw new RangeError(`Expected ${batch * sequence} or ${sequence} token weights, got ${weights.length}`);
  }
  if (weights.every((w) => w === 1)) return hidden;

  let originalSum = 0;
  let weightedSum = 0;
  for (let token = 0; token < batch * sequence; token++) {
    const weight = weights[token % weights.length];
    const offset = token * channels;
    for (let c = offset; c < offset + channels; c++) {
      originalSum += hidden[c];
      hidden[c] *= weight;
      weightedSum += hidden[c];
    }
  }
  // Equal element counts, so the ratio of sums is the ratio of means.
  if (weightedSum === 0 || !Number.isFinite(originalSum / weightedSum)) return hidden;
  const restore = originalSum / weightedSum;
  for (let i = 0; i < hidden.length; i++) hidden[i] *= restore;
  return hidden;
}
