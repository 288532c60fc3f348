import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrainingRandom } from './training-random.js';

test('the same seed draws the same sequence, another seed another one', () => {
  const draw = (seed: number): number[] => {
    const random = TrainingRandom.fromSeed(seed);
    return [random.nextUint32(), random.uniform(), random.normal(), random.integer(1000)];
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
});

test('a generator rebuilt from its state continues exactly where it was (spare normal included)', () => {
  const random = TrainingRandom.fromSeed(7);
  random.normal(); // leaves the second Box–Muller value as the spare
  const copy = TrainingRandom.fromState(JSON.parse(JSON.stringify(random.state())));
  const next = (r: TrainingRandom): number[] => [r.normal(), r.normal(), r.uniform(), r.integer(17)];
  assert.deepEqual(next(copy), next(random));
});

test('normals have mean 0 and variance 1, uniforms lie in [0, 1), integers cover their range', () => {
  const random = TrainingRandom.fromSeed(1);
  const n = 20000;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const x = random.normal();
    sum += x;
    squares += x * x;
  }
  assert.ok(Math.abs(sum / n) < 0.03, `mean ${sum / n}`);
  assert.ok(Math.abs(squares / n - 1) < 0.05, `variance ${squares / n}`);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const u = random.uniform();
    assert.ok(u >= 0 && u < 1);
    seen.add(random.integer(10));
  }
  assert.equal(seen.size, 10);
});

test('permutations hold every index once', () => {
  const order = TrainingRandom.fromSeed(3).permutation(50);
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(order, Array.from({ length: 50 }, (_, i) => i));
});

test('invalid states are refused', () => {
  assert.throws(() => TrainingRandom.fromState({ words: [0, 0, 0, 0], spareNormal: null }), /all zero/);
  assert.throws(() => TrainingRandom.fromState({ words: [1, 2, 3, 2 ** 32], spareNormal: null }), /32-bit/);
});
