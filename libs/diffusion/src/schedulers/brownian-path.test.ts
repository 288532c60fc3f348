import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../random/noise.js';
import { BrownianPath } from './brownian-path.js';

const SIZE = 20_000;

function moments(values: Float32Array): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, variance: values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length };
}

function correlation(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum / a.length;
}

test('normalised increments are standard normal', () => {
  const path = new BrownianPath(createNoise(1), SIZE);
  for (const [from, to] of [[14, 9], [9, 3.5], [3.5, 0.03]]) {
    const { mean, variance } = moments(path.normalizedIncrement(from, to));
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `${mean} ${variance}`);
  }
});

test('overlapping intervals are correlated as a Brownian motion requires', () => {
  // Corr(W(s→m), W(s→n)) = √((s−m)/(s−n)) for n < m < s.
  const path = new BrownianPath(createNoise(2), SIZE);
  const toMidpoint = path.normalizedIncrement(10, 6);
  const toNext = path.normalizedIncrement(10, 2);
  assert.ok(Math.abs(correlation(toMidpoint, toNext) - Math.sqrt(4 / 8)) < 0.03);
  // A point between known ones comes from the Brownian bridge: W(8)−W(6) is still N(0, 2) and
  // carries its share of W(10)−W(6).
  const bridged = path.normalizedIncrement(8, 6);
  assert.ok(Math.abs(moments(bridged).variance - 1) < 0.05);
  assert.ok(Math.abs(correlation(bridged, toMidpoint) - Math.sqrt(2 / 4)) < 0.03);
  // Disjoint intervals are independent.
  const later = path.normalizedIncrement(2, 1);
  assert.ok(Math.abs(correlation(toNext, later)) < 0.03);
  assert.ok(Math.abs(correlation(bridged, later)) < 0.03);
});

test('the same seed and queries give the same path; repeated queries are consistent', () => {
  const a = new BrownianPath(createNoise(3), 8);
  const b = new BrownianPath(createNoise(3), 8);
  assert.deepEqual(a.normalizedIncrement(5, 2), b.normalizedIncrement(5, 2));
  assert.deepEqual(a.normalizedIncrement(5, 2), b.normalizedIncrement(5, 2));
  const reversed = a.normalizedIncrement(2, 5);
  const forward = a.normalizedIncrement(5, 2);
  reversed.forEach((x, i) => assert.ok(Math.abs(x + forward[i]) < 1e-6));
});
