import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededNormal } from '../testing/seeded-random.js';
import { resizeResidual, resizeResidualAdjoint } from './residual-grid.js';

const FROM = { channels: 2, height: 8, width: 8 };

function normals(count: number, seed: number): Float32Array {
  const normal = seededNormal(seed);
  return Float32Array.from({ length: count }, () => normal());
}

test('the residual resize is the identity at the native size', () => {
  const values = normals(2 * 64, 1);
  assert.deepEqual(resizeResidual(values, FROM, { height: 8, width: 8 }), values);
  assert.deepEqual(Float32Array.from(resizeResidualAdjoint(values, FROM, { height: 8, width: 8 })), values);
});

test('resizeResidualAdjoint is the transpose of resizeResidual (⟨Ra, b⟩ = ⟨a, Rᵀb⟩) when up- and downsampling', () => {
  for (const to of [{ height: 16, width: 24 }, { height: 4, width: 5 }, { height: 3, width: 8 }]) {
    const a = normals(2 * 64, 2);
    const b = normals(2 * to.height * to.width, 3);
    const forward = resizeResidual(a, FROM, to);
    const backward = resizeResidualAdjoint(b, FROM, to);
    let left = 0;
    let right = 0;
    for (let i = 0; i < b.length; i++) left += forward[i] * b[i];
    for (let i = 0; i < a.length; i++) right += a[i] * backward[i];
    assert.ok(Math.abs(left - right) < 1e-4 * Math.max(1, Math.abs(left)), `${to.height}×${to.width}: ${left} vs ${right}`);
  }
});

test('a constant residual stays constant on any grid', () => {
  const constant = new Float32Array(2 * 64).fill(0.25);
  const resized = resizeResidual(constant, FROM, { height: 13, width: 6 });
  assert.equal(resized.length, 2 * 13 * 6);
  assert.ok(resized.every((value) => Math.abs(value - 0.25) < 1e-7));
});
