// Soft-edge post-processing against OpenCV goldens and controlnet_aux's formulas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFixturePng } from '../testing/index.js';
import { fuseHedSides, pidinetMap, safeStep, scribbleFromEdges, thinEdges, toEdgeByte } from './edge-maps.js';

function agreement(a: Uint8Array, b: Uint8Array): { same: number; edgesA: number; edgesB: number; both: number } {
  let same = 0;
  let edgesA = 0;
  let edgesB = 0;
  let both = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) same++;
    if (a[i]) edgesA++;
    if (b[i]) edgesB++;
    if (a[i] && b[i]) both++;
  }
  return { same: same / a.length, edgesA, edgesB, both };
}

describe('soft edge and scribble post-processing', () => {
  it('nms(x, 127, 3) and the scribble threshold match OpenCV', async () => {
    const soft = await readFixturePng('scribble/soft.png');
    const thinned = thinEdges(soft, 127, 3);
    const goldenThin = await readFixturePng('scribble/thinned.png');
    const thin = agreement(thinned.data, goldenThin.data);
    const scribble = scribbleFromEdges(soft);
    const goldenScribble = await readFixturePng('scribble/scribble.png');
    const final = agreement(scribble.data, goldenScribble.data);
    console.log(
      `scribble nms: ${(thin.same * 100).toFixed(3)}% pixels agree (${thin.both} of ${thin.edgesB} OpenCV edge pixels, ${thin.edgesA} ours); ` +
        `scribble: ${(final.same * 100).toFixed(3)}% agree (${final.both} of ${final.edgesB} OpenCV, ${final.edgesA} ours)`,
    );
    assert.ok(thin.edgesB > 100);
    assert.ok(thin.same >= 0.999);
    assert.ok(final.same >= 0.999);
  });

  it('safe_step quantises to 0, 0.5, 1 (and 1.5 at exactly 1) like controlnet_aux', () => {
    assert.deepEqual([0, 0.3, 0.34, 0.66, 0.67, 0.99, 1].map((v) => safeStep(v)), [0, 0, 0.5, 0.5, 1, 1, 1.5]);
    assert.deepEqual([-0.1, 0, 0.5, 0.999, 1, 1.5].map(toEdgeByte), [0, 0, 127, 254, 255, 255]);
  });

  it('HED fuses side outputs by mean then sigmoid; PiDiNet truncates its probability', () => {
    const side = (value: number, size: number): { data: Float32Array; width: number; height: number } => ({ data: new Float32Array(size * size).fill(value), width: size, height: size });
    const fused = fuseHedSides([side(1, 8), side(1, 4), side(-1, 2), side(1, 1), side(3, 1)], 8, 8, false);
    // mean 1 → sigmoid 0.7310585786 → 186.42 → 186
    assert.ok(fused.data.every((v) => v === 186));
    assert.equal(fuseHedSides([side(1, 8)], 8, 8, true).data[0], 255); // safe: 0.731 → 1.0
    assert.deepEqual(Array.from(pidinetMap(Float32Array.of(0.2, 0.5, 0.51, 1), 2, 2, false, false).data), [51, 127, 130, 255]);
    assert.deepEqual(Array.from(pidinetMap(Float32Array.of(0.2, 0.5, 0.51, 1), 2, 2, false, true).data), [0, 0, 255, 255]);
  });
});
