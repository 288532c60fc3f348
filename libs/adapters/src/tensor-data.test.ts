import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFloats, encodeFloats } from './tensor-data.js';

test('float16 and bfloat16 round to nearest even and decode back', () => {
  const values = Float32Array.of(1, -2.5, 65504, 1 / 3, 0, -0, 1e-8);
  const half = decodeFloats(encodeFloats(values, 'float16'), 'float16');
  assert.deepEqual(Array.from(half.subarray(0, 3)), [1, -2.5, 65504]);
  assert.ok(Math.abs(half[3] - 1 / 3) < 1e-3 && half[3] !== Math.fround(1 / 3));
  assert.ok(Object.is(half[5], -0));

  const brain = decodeFloats(encodeFloats(values, 'bfloat16'), 'bfloat16');
  assert.deepEqual(Array.from(brain.subarray(0, 2)), [1, -2.5]);
  assert.equal(brain[2], 65536, '65504 rounds up to 2^16 in bfloat16');
  assert.ok(Math.abs(brain[3] - 1 / 3) < 2e-3);
  assert.ok(Number.isNaN(decodeFloats(encodeFloats(Float32Array.of(Number.NaN), 'bfloat16'), 'bfloat16')[0]));
});

test('float32 and float64 bytes are little-endian', () => {
  assert.deepEqual(Array.from(encodeFloats(Float32Array.of(1), 'float32')), [0, 0, 0x80, 0x3f]);
  assert.deepEqual(decodeFloats(encodeFloats(Float32Array.of(0.25, -8), 'float64'), 'float64'), Float32Array.of(0.25, -8));
  assert.throws(() => decodeFloats(new Uint8Array(3), 'float32'), /whole number/);
});

test('Node Buffers from a shared pool decode as their own bytes only', () => {
  const pooled = Buffer.from(new Uint8Array(Float32Array.of(1.5, -2).buffer));
  assert.ok(pooled.buffer.byteLength > pooled.byteLength, 'small Buffers live in a larger pool');
  assert.deepEqual(decodeFloats(pooled, 'float32'), Float32Array.of(1.5, -2));
  assert.deepEqual(decodeFloats(Buffer.from(encodeFloats(Float32Array.of(0.5, 3), 'float16')), 'float16'), Float32Array.of(0.5, 3));
});
