import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerConfigError } from './errors.js';
import { discreteTimesteps, multistepTimesteps, sigmaFamilyTimesteps } from './spacing.js';

// Expected lists computed with numpy using diffusers' formulas.
const request = (spacing: 'leading' | 'trailing' | 'linspace', steps: number, stepsOffset = 0) => ({ spacing, trainTimesteps: 1000, steps, stepsOffset });

test('DDIM-style spacing', () => {
  assert.deepEqual(Array.from(discreteTimesteps(request('leading', 7, 1))), [853, 711, 569, 427, 285, 143, 1]);
  assert.deepEqual(Array.from(discreteTimesteps(request('trailing', 7))), [999, 856, 713, 570, 428, 285, 142]);
  assert.deepEqual(Array.from(discreteTimesteps(request('linspace', 7))), [999, 832, 666, 500, 333, 166, 0]);
});

test('Euler-style linspace keeps fractional float32 timesteps', () => {
  const timesteps = Array.from(sigmaFamilyTimesteps(request('linspace', 4)));
  assert.deepEqual(timesteps, [999, 666, 333, 0]);
  const seven = sigmaFamilyTimesteps(request('linspace', 7));
  assert.equal(seven[1], Math.fround(832.5));
  assert.equal(seven[2], Math.fround(666));
});

test('multistep spacing uses n+1 points and drops t = 0', () => {
  assert.deepEqual(Array.from(multistepTimesteps(request('leading', 7, 1))), [876, 751, 626, 501, 376, 251, 126]);
  assert.deepEqual(Array.from(multistepTimesteps(request('linspace', 7))), [999, 856, 714, 571, 428, 285, 143]);
  assert.deepEqual(Array.from(multistepTimesteps(request('trailing', 7))), [999, 856, 713, 570, 428, 285, 142]);
});

test('step counts are validated', () => {
  assert.throws(() => discreteTimesteps(request('leading', 0)), SchedulerConfigError);
  assert.throws(() => discreteTimesteps(request('leading', 2.5)), SchedulerConfigError);
  assert.throws(() => multistepTimesteps(request('leading', 1001)), SchedulerConfigError);
});
