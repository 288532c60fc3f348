// SAM's pre-processing against goldens computed offline with transformers' SamImageProcessorPil and
// SamProcessor (scripts/make_sam_goldens.py): sizes, the coordinate transform, the encoder input.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { pilBilinearResize } from '@atelier/preprocessors';
import { patternImage, readSamGoldens, type SamGoldens } from './testing/index.js';
import { encoderInput } from './encoder-input.js';
import { preprocessSize, toModelFrame } from './sam-transform.js';

describe('SAM pre-processing goldens', () => {
  let goldens: SamGoldens;
  before(async () => {
    goldens = await readSamGoldens();
  });

  it('resizes the long side to 1024, rounding each side half up, at every aspect ratio', () => {
    for (const golden of goldens.preprocess) {
      assert.deepEqual(preprocessSize(golden), { width: golden.resized[0], height: golden.resized[1] }, `${golden.width}x${golden.height}`);
    }
  });

  it('maps points into the 1024 frame as SamProcessor does', () => {
    for (const golden of goldens.coords) {
      golden.points.forEach(([x, y], index) => {
        const mapped = toModelFrame({ x, y }, golden);
        const [ex, ey] = golden.transformed[index];
        assert.ok(Math.abs(mapped.x - ex) < 1e-9 && Math.abs(mapped.y - ey) < 1e-9, `${golden.width}x${golden.height} (${x},${y}) → (${mapped.x},${mapped.y}), expected (${ex},${ey})`);
      });
    }
  });

  it('resizes with PIL bilinear byte for byte (anti-aliased when shrinking)', () => {
    for (const golden of goldens.preprocess) {
      const resized = pilBilinearResize(patternImage(golden.width, golden.height), golden.resized[0], golden.resized[1]);
      const digest = createHash('sha256').update(resized.data).digest('hex');
      assert.equal(digest, golden.resized_rgb_sha256, `${golden.width}x${golden.height}`);
    }
  });

  it('normalises with SAM mean/std and pads with zeros bottom/right', () => {
    const plane = 1024 * 1024;
    for (const golden of goldens.preprocess) {
      const input = encoderInput(patternImage(golden.width, golden.height));
      assert.equal(input.length, 3 * plane);
      for (const [c, y, x, expected] of golden.samples) {
        assert.ok(Math.abs(input[c * plane + y * 1024 + x] - expected) < 1e-5, `${golden.width}x${golden.height} c${c} (${x},${y}): ${input[c * plane + y * 1024 + x]} vs ${expected}`);
      }
      golden.channel_sums.forEach((expected, c) => {
        let sum = 0;
        for (let i = 0; i < plane; i++) sum += input[c * plane + i];
        assert.ok(Math.abs(sum - expected) < 1e-6 * plane, `${golden.width}x${golden.height} channel ${c}: ${sum} vs ${expected}`);
      });
      // Padding is exactly zero past the resized area.
      const [rw, rh] = golden.resized;
      if (rw < 1024) assert.equal(input[(rh - 1) * 1024 + rw], 0);
      if (rh < 1024) assert.equal(input[2 * plane + rh * 1024 + rw - 1], 0);
    }
  });
});
