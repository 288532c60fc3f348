import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learningRateAt } from './learning-rate.js';

const BASE = { learningRate: 0.01, maxTrainSteps: 100, lrWarmupSteps: 0 } as const;

test('constant keeps the rate, linear and cosine decay it towards 0 at the last step', () => {
  assert.deepEqual([1, 50, 100].map((step) => learningRateAt({ ...BASE, lrScheduler: 'constant' }, step)), [0.01, 0.01, 0.01]);
  const linear = [1, 51, 100].map((step) => learningRateAt({ ...BASE, lrScheduler: 'linear' }, step));
  for (const [i, expected] of [0.01, 0.005, 1e-4].entries()) assert.ok(Math.abs(linear[i] - expected) < 1e-12, `linear step ${i}: ${linear[i]}`);
  const cosine = [1, 51, 100].map((step) => learningRateAt({ ...BASE, lrScheduler: 'cosine' }, step));
  assert.equal(cosine[0], 0.01);
  assert.ok(Math.abs(cosine[1] - 0.005) < 1e-12);
  assert.ok(cosine[2] > 0 && cosine[2] < 1e-5);
});

test('warm-up ramps linearly from 0 before the schedule starts', () => {
  const params = { ...BASE, lrScheduler: 'cosine', lrWarmupSteps: 10 } as const;
  assert.deepEqual([1, 6, 11].map((step) => learningRateAt(params, step)), [0, 0.005, 0.01]);
});
