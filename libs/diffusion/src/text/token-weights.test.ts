import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTokenWeights } from './token-weights.js';

const mean = (values: Float32Array) => values.reduce((sum, v) => sum + v, 0) / values.length;

describe('applyTokenWeights', () => {
  it('scales each token and restores the mean of the whole tensor, in place', () => {
    const hidden = new Float32Array([1, 2, 3, 4]);
    const result = applyTokenWeights(hidden, [1, 2, 2], new Float32Array([2, 1]));
    assert.equal(result, hidden);
    // scaled to [2, 4, 3, 4] (mean 3.25), then times 2.5 / 3.25
    const restore = 10 / 13;
    assert.deepEqual(Array.from(hidden), [2, 4, 3, 4].map((v) => Math.fround(Math.fround(v) * restore)));
    assert.ok(Math.abs(mean(hidden) - 2.5) < 1e-6);
  });

  it('takes one mean over the batch, as A1111 does', () => {
    const hidden = new Float32Array([1, 1, 1, 1, 5, 5, 5, 5]);
    applyTokenWeights(hidden, [2, 2, 2], new Float32Array([3, 1, 1, 1]));
    assert.ok(Math.abs(mean(hidden) - 3) < 1e-6);
    assert.ok(Math.abs(hidden[0] / hidden[2] - 3) < 1e-6);
    assert.ok(Math.abs(hidden[4] / hidden[2] - 5) < 1e-6);
  });

  it('shares sequence-length weights across batch items', () => {
    const shared = new Float32Array([1, 2, 3, 4, 1, 2, 3, 4]);
    const explicit = shared.slice();
    applyTokenWeights(shared, [2, 2, 2], new Float32Array([1.5, 0.5]));
    applyTokenWeights(explicit, [2, 2, 2], new Float32Array([1.5, 0.5, 1.5, 0.5]));
    assert.deepEqual(shared, explicit);
  });

  it('leaves the states untouched when every weight is 1', () => {
    const hidden = new Float32Array([0.1, -0.2, 0.3, 0.7]);
    applyTokenWeights(hidden, [1, 2, 2], new Float32Array([1, 1]));
    assert.deepEqual(hidden, new Float32Array([0.1, -0.2, 0.3, 0.7]));
  });

  it('skips the rescale instead of dividing by a zero mean', () => {
    const hidden = new Float32Array([1, -1, 2, -2]);
    applyTokenWeights(hidden, [1, 2, 2], new Float32Array([2, 1]));
    assert.deepEqual(Array.from(hidden), [2, -2, 2, -2]);
  });

  it('rejects arrays that do not match the dims', () => {
    assert.throws(() => applyTokenWeights(new Float32Array(5), [1, 2, 2], new Float32Array(2)), RangeError);
    assert.throws(() => applyTokenWeights(new Float32Array(4), [1, 2, 2], new Float32Array(3)), RangeError);
    assert.throws(() => applyTokenWeights(new Float32Array(0), [0, 2, 2], new Float32Array(0)), RangeError);
  });
});
