// cv2.resize and PIL's Lanczos against goldens made offline (scripts/make_resize_fixtures.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES_DIR, readFixturePng } from '../testing/index.js';
import { cvResize, type CvInterpolation } from './cv-resize.js';
import { pilLanczosResize } from './pil-resize.js';
import { annotatorSize } from './resize-image.js';

interface Case {
  readonly kind: 'cv2' | 'pil';
  readonly interpolation: string;
  readonly width: number;
  readonly height: number;
  readonly file: string;
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'resize', 'manifest.json'), 'utf8')) as { cases: Case[] };

describe('resizes match OpenCV and PIL', () => {
  for (const entry of manifest.cases) {
    it(`${entry.kind} ${entry.interpolation} → ${entry.width}x${entry.height}`, async () => {
      const source = await readFixturePng('resize/source.png');
      const golden = await readFixturePng(`resize/${entry.file}`);
      const ours =
        entry.kind === 'pil'
          ? pilLanczosResize(source, entry.width, entry.height)
          : cvResize(source, entry.width, entry.height, entry.interpolation as CvInterpolation);
      assert.equal(ours.data.length, golden.data.length);
      let same = 0;
      let worst = 0;
      for (let i = 0; i < golden.data.length; i++) {
        const difference = Math.abs(ours.data[i] - golden.data[i]);
        if (difference === 0) same++;
        worst = Math.max(worst, difference);
      }
      console.log(`resize ${entry.kind} ${entry.interpolation} ${entry.width}x${entry.height}: ${((100 * same) / golden.data.length).toFixed(2)}% exact, max |diff| ${worst}`);
      assert.ok(worst <= 1, `max difference ${worst}`);
      assert.ok(same / golden.data.length >= 0.99);
    });
  }

  it('annotator sizes round the short side to the resolution and both to multiples of 64', () => {
    assert.deepEqual(annotatorSize(1024, 768, 512), { width: 704, height: 512, k: 512 / 768 }); // 682.67 → 11 * 64
    assert.deepEqual(annotatorSize(512, 512, 512), { width: 512, height: 512, k: 1 });
    assert.deepEqual(annotatorSize(300, 200, 512), { width: 768, height: 512, k: 2.56 });
    // 160 / 64 = 2.5 rounds to even (2) and 96 / 64 = 1.5 to 2, as np.round does
    assert.equal(annotatorSize(160, 64, 64).width, 128);
    assert.equal(annotatorSize(96, 64, 64).width, 128);
  });
});
