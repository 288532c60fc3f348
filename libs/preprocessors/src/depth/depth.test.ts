// Depth pre/post-processing: Depth Anything's sizes and the min-max normalisation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pixelImage } from '../image/pixel-image.js';
import { depthAnythingSize, depthInput } from './depth-input.js';
import { normaliseDepth } from './depth-output.js';

describe('depth pre/post-processing', () => {
  it('Depth Anything: short side to 518, sides multiples of 14, rounding up when below 518', () => {
    assert.deepEqual(depthAnythingSize(512, 512), { width: 518, height: 518 });
    // 704x512: scale 518/512, width 712.2 → 50.87 x 14 → 714
    assert.deepEqual(depthAnythingSize(704, 512), { width: 714, height: 518 });
    // 512x768: 518 wide, 776.9 high → 55.5 rounds to even (56) → 784
    assert.deepEqual(depthAnythingSize(512, 768), { width: 518, height: 784 });
    for (const [w, h] of [[640, 448], [1024, 576], [333, 999]]) {
      const size = depthAnythingSize(w, h);
      assert.equal(size.width % 14, 0);
      assert.equal(size.height % 14, 0);
      assert.ok(Math.min(size.width, size.height) >= 518);
    }
  });

  it('normalises inputs: ImageNet mean/std for Depth Anything, /127.5 - 1 for MiDaS', () => {
    const grey = pixelImage(64, 64, 3, new Uint8Array(64 * 64 * 3).fill(255));
    const anything = depthInput(grey, 'depth-anything', { width: 28, height: 14 });
    assert.equal(anything.data.length, 3 * 28 * 14);
    assert.ok(Math.abs(anything.data[0] - (1 - 0.485) / 0.229) < 1e-5);
    assert.ok(Math.abs(anything.data[28 * 14 * 2] - (1 - 0.406) / 0.225) < 1e-5);
    const midas = depthInput(grey, 'midas', null);
    assert.equal(midas.width, 64);
    assert.ok(midas.data.every((v) => v === 1));
  });

  it('min-max normalises to 0–255 with truncation, and a flat depth is black', () => {
    const map = normaliseDepth(Float32Array.of(2, 3, 4, 6), 2, 2, 2, 2);
    assert.deepEqual(Array.from(map.data), [0, 63, 127, 255]);
    assert.ok(normaliseDepth(new Float32Array(4).fill(7), 2, 2, 2, 2).data.every((v) => v === 0));
    const upsampled = normaliseDepth(Float32Array.of(0, 1, 0, 1), 2, 2, 8, 8);
    assert.equal(upsampled.width, 8);
    assert.equal(upsampled.data[0], 0);
    assert.equal(upsampled.data[7], 255);
  });
});
