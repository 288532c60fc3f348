import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resizeLatents } from './hires-fix.js';

// Expected values are torch.nn.functional.interpolate's on [[0,1],[2,3]] (what A1111's Latent modes call).
describe('hires fix latent resize (torch F.interpolate semantics)', () => {
  const plane = Float32Array.from([0, 1, 2, 3]);
  const dims = { batch: 1, channels: 1, height: 2, width: 2 };

  it('bilinear, align_corners=False: half-pixel centres, edges clamped', () => {
    const out = resizeLatents(plane, dims, 4, 4, 'bilinear');
    assert.deepEqual([...out], [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('nearest: source index ⌊dst · in/out⌋', () => {
    assert.deepEqual([...resizeLatents(plane, dims, 4, 4, 'nearest')], [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    assert.deepEqual([...resizeLatents(plane, dims, 3, 3, 'nearest')], [0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });

  it('every plane of every batch item separately', () => {
    const two = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]);
    const out = resizeLatents(two, { batch: 2, channels: 1, height: 2, width: 2 }, 4, 4, 'bilinear');
    assert.deepEqual([...out.subarray(16)], [10, 10.25, 10.75, 11, 10.5, 10.75, 11.25, 11.5, 11.5, 11.75, 12.25, 12.5, 12, 12.25, 12.75, 13]);
  });
});
