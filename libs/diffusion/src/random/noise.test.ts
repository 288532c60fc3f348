import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise, randomSeed } from './noise.js';

test('the same seed gives the same normals, however the stream is split', () => {
  const whole = createNoise(1234).randn(9);
  const split = createNoise(1234);
  const parts = [...split.randn(3), ...split.randn(1), ...split.randn(0), ...split.randn(5)];
  assert.deepEqual(Array.from(whole), parts);
  assert.deepEqual(createNoise(1234).randn(9), whole);
});

test('first values are pinned so that a change of algorithm cannot go unnoticed', () => {
  // Box-Muller on numpy RandomState(0).random_sample() pairs, computed independently.
  const values = createNoise(0).randn(4);
  const expected = [-0.27375424, -1.2315874, -1.3051634, -0.3781464];
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(values[i] - expected[i]) < 1e-6, `${i}: ${values[i]}`);
});

test('normals have mean 0 and variance 1 over 1e5 samples', () => {
  const samples = createNoise(7).randn(100_000);
  let sum = 0;
  let squares = 0;
  for (const x of samples) {
    sum += x;
    squares += x * x;
  }
  const mean = sum / samples.length;
  const variance = squares / samples.length - mean * mean;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
});

test('different seeds give different streams', () => {
  const a = createNoise(1).randn(16);
  const b = createNoise(2).randn(16);
  assert.notDeepEqual(a, b);
  assert.ok(a.some((x, i) => x !== b[i]));
});

test('seeds are validated and randomSeed stays in [0, 2^32-1]', () => {
  assert.throws(() => createNoise(-1), RangeError);
  assert.throws(() => createNoise(2 ** 32), RangeError);
  assert.throws(() => createNoise(Number.NaN), RangeError);
  assert.ok(createNoise(2 ** 32 - 1).randn(2).every(Number.isFinite));
  for (let i = 0; i < 100; i++) {
    const seed = randomSeed();
    assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 32 - 1);
  }
});
