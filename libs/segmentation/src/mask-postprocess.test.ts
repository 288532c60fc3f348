// SAM's mask post-processing (bilinear to 1024, crop, bilinear to the original size) against
// torch's F.interpolate through transformers' post_process_masks, computed offline.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { lowResLogits, readSamGoldens, type SamGoldens } from './testing/index.js';
import { bilinearResize, binarize, upscaleMaskLogits } from './mask-postprocess.js';

describe('SAM mask post-processing goldens', () => {
  let goldens: SamGoldens;
  before(async () => {
    goldens = await readSamGoldens();
  });

  it('matches post_process_masks at every aspect ratio (values, sum, positives)', () => {
    for (const golden of goldens.postprocess) {
      const logits = upscaleMaskLogits({ width: 256, height: 256, data: lowResLogits(golden.index) }, golden);
      assert.equal(logits.width, golden.width);
      assert.equal(logits.height, golden.height);
      for (const [y, x, expected] of golden.samples) {
        assert.ok(Math.abs(logits.data[y * golden.width + x] - expected) < 1e-4, `${golden.width}x${golden.height} (${x},${y}): ${logits.data[y * golden.width + x]} vs ${expected}`);
      }
      let sum = 0;
      for (const value of logits.data) sum += value;
      assert.ok(Math.abs(sum - golden.sum) < 1e-5 * logits.data.length + 1e-3, `${golden.width}x${golden.height} sum ${sum} vs ${golden.sum}`);
      const positives = binarize(logits).reduce((count, value) => count + (value === 255 ? 1 : 0), 0);
      assert.ok(Math.abs(positives - golden.positives) <= 2, `${golden.width}x${golden.height}: ${positives} positives vs ${golden.positives}`);
    }
  });

  it('bilinear resize is the identity at the same size and exact on linear ramps inside', () => {
    const ramp = new Float32Array(8 * 4).map((_, i) => (i % 8) * 2 + Math.floor(i / 8));
    assert.deepEqual(bilinearResize({ width: 8, height: 4, data: ramp }, 8, 4).data, ramp);
    const up = bilinearResize({ width: 8, height: 4, data: ramp }, 16, 8);
    // Output x=5 maps to source 2.25: 2·2.25 = 4.5 on row 0 (y=0 maps to -0.25, clamped to 0).
    assert.ok(Math.abs(up.data[5] - 4.5) < 1e-6);
  });
});
