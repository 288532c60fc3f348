import { test } from 'node:test';
import assert from 'node:assert/strict';
import { singlestepOrderList } from './singlestep-orders.js';

const orders = (steps: number, solverOrder: number, lowerOrderFinal: boolean, finalSigmaZero: boolean): number[] =>
  Array.from(singlestepOrderList({ steps, solverOrder, lowerOrderFinal, finalSigmaZero }));

// Expected lists are diffusers' DPMSolverSinglestepScheduler.get_order_list after set_timesteps.
test('lower_order_final ends order-3 runs with 1, 2 groups and the σ=0 step with order 1', () => {
  assert.deepEqual(orders(7, 3, true, true), [1, 2, 3, 1, 2, 3, 1]);
  assert.deepEqual(orders(8, 3, true, true), [1, 2, 3, 1, 2, 3, 1, 1]);
  assert.deepEqual(orders(9, 3, true, false), [1, 2, 3, 1, 2, 3, 1, 2, 1]);
  assert.deepEqual(orders(10, 2, true, true), [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]);
  assert.deepEqual(orders(7, 2, true, true), [1, 2, 1, 2, 1, 2, 1]);
});

test('without lower_order_final (final σ_min, divisible step count) every group is complete', () => {
  assert.deepEqual(orders(6, 3, false, false), [1, 2, 3, 1, 2, 3]);
  assert.deepEqual(orders(6, 2, false, false), [1, 2, 1, 2, 1, 2]);
});

test('diffusers forces lower_order_final for an uneven step count or a final σ of 0', () => {
  assert.deepEqual(orders(7, 2, false, false), [1, 2, 1, 2, 1, 2, 1]);
  assert.deepEqual(orders(6, 3, false, true), [1, 2, 3, 1, 2, 1]);
  assert.deepEqual(orders(4, 1, false, true), [1, 1, 1, 1]);
  assert.deepEqual(orders(1, 3, true, true), [1]);
});
