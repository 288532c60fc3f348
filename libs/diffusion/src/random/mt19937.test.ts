import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mt19937 } from './mt19937.js';

test('MT19937 matches the reference init_genrand(5489) output', () => {
  const mt = new Mt19937(5489);
  const first = Array.from({ length: 5 }, () => mt.nextUint32());
  assert.deepEqual(first, [3499211612, 581869302, 3890346734, 3586334585, 545404204]);
});

test('53-bit uniforms match numpy RandomState(42).random_sample()', () => {
  const mt = new Mt19937(42);
  const expected = [0.3745401188473625, 0.9507143064099162, 0.7319939418114051];
  for (const value of expected) assert.ok(Math.abs(mt.nextDouble() - value) < 1e-15);
});

test('the generator survives a state regeneration and rejects bad seeds', () => {
  const mt = new Mt19937(1);
  for (let i = 0; i < 2000; i++) {
    const value = mt.nextUint32();
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff);
  }
  assert.throws(() => new Mt19937(-1), RangeError);
  assert.throws(() => new Mt19937(2 ** 32), RangeError);
  assert.throws(() => new Mt19937(1.5), RangeError);
});
