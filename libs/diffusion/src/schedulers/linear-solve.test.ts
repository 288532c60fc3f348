import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solveLinearSystem } from './linear-solve.js';

test('solves small systems, pivoting past a zero diagonal', () => {
  const x = solveLinearSystem(
    [
      [0, 2, 1],
      [1, 1, 1],
      [2, 1, 3],
    ],
    [7, 6, 13],
  );
  [1, 2, 3].forEach((expected, i) => assert.ok(Math.abs(x[i] - expected) < 1e-12));
  assert.deepEqual(solveLinearSystem([[4]], [2]), [0.5]);
});
