// The tile grid and its feathered blend weights: coverage, overlap, partition of unity, dead margins.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { axisTiles, featherWeights } from './tile-grid.js';

describe('tile grid', () => {
  it('covers the axis with equal tiles that overlap by at least the overlap, the last on the border', () => {
    for (const [length, tile, overlap] of [[1000, 256, 32], [257, 256, 32], [513, 128, 16], [64, 64, 8], [40, 64, 8], [300, 64, 0]]) {
      const tiles = axisTiles(length, tile, overlap);
      assert.equal(tiles[0].start, 0);
      const last = tiles.at(-1);
      assert.ok(last);
      assert.equal(last.start + last.size, length);
      for (const t of tiles) assert.equal(t.size, Math.min(tile, length));
      for (let i = 1; i < tiles.length; i++) {
        assert.ok(tiles[i - 1].start + tiles[i - 1].size - tiles[i].start >= overlap, `tiles ${i - 1},${i} of ${length}/${tile}/${overlap}`);
      }
    }
    assert.equal(axisTiles(1000, 256, 32).length, 5); // ceil(968 / 224)
  });

  it('weights add up to 1, are 0 within floor(overlap/4) input pixels of an inner edge and ramp linearly', () => {
    const scale = 2;
    const overlap = 16;
    const length = 300;
    const tiles = axisTiles(length, 64, overlap);
    const weights = featherWeights(tiles, length, scale, overlap);
    const sum = new Float64Array(length * scale);
    tiles.forEach((tile, i) => weights[i].forEach((w, x) => (sum[tile.start * scale + x] += w)));
    for (const total of sum) assert.ok(Math.abs(total - 1) < 1e-12);
    tiles.forEach((tile, i) => {
      for (let x = 0; x < tile.size * scale; x++) {
        const u = (x + 0.5) / scale;
        const nearInner = (i > 0 && u <= 4) || (i < tiles.length - 1 && tile.size - u <= 4);
        if (nearInner) assert.equal(weights[i][x], 0, `tile ${i} pixel ${x}`);
      }
    });
    // Two tiles overlapping by exactly 16: the second ramps from 0 at 4 px to 1 at 12 px.
    const pair = [{ start: 0, size: 64 }, { start: 48, size: 64 }];
    const [, second] = featherWeights(pair, 112, 1, overlap);
    assert.equal(second[4], (4.5 - 4) / 8);
    assert.equal(second[8], (8.5 - 4) / 8);
    assert.equal(second[12], 1);
    assert.equal(second[3], 0);
  });
});
