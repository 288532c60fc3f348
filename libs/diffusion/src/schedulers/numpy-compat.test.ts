import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, interp, interpIndexed, linspace, roundHalfEven } from './numpy-compat.js';

test('roundHalfEven rounds halves to the even neighbour like numpy', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -1.5, 2.4, 2.6, 499.5, 500.5].map(roundHalfEven), [0, 2, 2, -2, 2, 3, 500, 500]);
});

test('linspace and arange reproduce numpy values (checked against numpy 2.x)', () => {
  assert.deepEqual(Array.from(linspace(0, 999, 4)), [0, 333, 666, 999]);
  assert.deepEqual(Array.from(linspace(0, 1, 1)), [0]);
  // np.arange(1000, 0, -1000/3) == [1000, 666.6666666666667, 333.3333333333335]
  assert.deepEqual(Array.from(arange(1000, 0, -1000 / 3)), [1000, 666.6666666666667, 333.3333333333335]);
  assert.equal(arange(0, 0, 1).length, 0);
});

test('interp clamps outside the table and interpolates linearly inside', () => {
  const xp = [0, 1, 2];
  const fp = [10, 20, 40];
  assert.equal(interp(-1, xp, fp), 10);
  assert.equal(interp(5, xp, fp), 40);
  assert.equal(interp(1.5, xp, fp), 30);
  assert.equal(interpIndexed(1.25, fp), 25);
  assert.equal(interpIndexed(2, fp), 40);
});
