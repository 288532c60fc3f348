// Our Canny against cv2.Canny golden maps (fixtures/canny, made offline by scripts/make_canny_fixtures.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES_DIR, readFixturePng } from '../testing/index.js';
import { canny } from './canny.js';

interface Manifest {
  readonly opencv: string;
  readonly images: readonly {
    readonly name: string;
    readonly maps: readonly { readonly low: number; readonly high: number; readonly file: string }[];
    readonly grey: { readonly file: string; readonly map: string; readonly low: number; readonly high: number };
  }[];
}

const manifest = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'canny', 'manifest.json'), 'utf8')) as Manifest;

async function compare(input: string, expected: string, low: number, high: number): Promise<{ agreement: number; edgeIou: number; edges: number }> {
  const image = await readFixturePng(`canny/${input}`);
  const golden = await readFixturePng(`canny/${expected}`);
  const ours = canny(image, { lowThreshold: low, highThreshold: high });
  assert.equal(ours.width, golden.width);
  assert.equal(ours.height, golden.height);
  let same = 0;
  let union = 0;
  let both = 0;
  let edges = 0;
  for (let i = 0; i < golden.data.length; i++) {
    if (ours.data[i] === golden.data[i]) same++;
    if (golden.data[i]) edges++;
    if (ours.data[i] || golden.data[i]) union++;
    if (ours.data[i] && golden.data[i]) both++;
  }
  return { agreement: same / golden.data.length, edgeIou: union ? both / union : 1, edges };
}

describe('canny equals cv2.Canny', () => {
  for (const image of manifest.images) {
    for (const map of image.maps) {
      it(`${image.name} (RGB) low ${map.low} high ${map.high}`, async () => {
        const result = await compare(`${image.name}.png`, map.file, map.low, map.high);
        console.log(
          `canny ${image.name} RGB ${map.low}/${map.high}: pixel agreement ${(result.agreement * 100).toFixed(3)}%, ` +
            `edge IoU ${(result.edgeIou * 100).toFixed(2)}% (${result.edges} cv2 edge pixels; OpenCV ${manifest.opencv})`,
        );
        assert.ok(result.edges > 0, 'the golden map has edges');
        assert.ok(result.agreement >= 0.99, `agreement ${result.agreement}`);
        // Pixel agreement is flattered by the black background, so the edges themselves must match too.
        assert.ok(result.edgeIou >= 0.95, `edge IoU ${result.edgeIou}`);
      });
    }
    it(`${image.name} (grey) low ${image.grey.low} high ${image.grey.high}`, async () => {
      const result = await compare(image.grey.file, image.grey.map, image.grey.low, image.grey.high);
      console.log(`canny ${image.name} grey: pixel agreement ${(result.agreement * 100).toFixed(3)}%, edge IoU ${(result.edgeIou * 100).toFixed(2)}%`);
      assert.ok(result.agreement >= 0.99);
      assert.ok(result.edgeIou >= 0.95);
    });
  }

  it('swaps thresholds given high first, as OpenCV does', async () => {
    const image = await readFixturePng('canny/street.png');
    assert.deepEqual(canny(image, { lowThreshold: 200, highThreshold: 100 }).data, canny(image, { lowThreshold: 100, highThreshold: 200 }).data);
  });

  it('a flat image has no edges, a step has a one-pixel line', () => {
    const width = 16;
    const data = new Uint8Array(width * width);
    for (let y = 0; y < width; y++) for (let x = 8; x < width; x++) data[y * width + x] = 200;
    const edges = canny({ width, height: width, channels: 1, data }, { lowThreshold: 100, highThreshold: 200 });
    for (let y = 0; y < width; y++) {
      const row = Array.from(edges.data.subarray(y * width, (y + 1) * width));
      assert.equal(row.filter((v) => v === 255).length, 1, `row ${y}: ${row.join(',')}`);
    }
    const flat = canny({ width, height: width, channels: 1, data: new Uint8Array(width * width).fill(90) }, { lowThreshold: 1, highThreshold: 2 });
    assert.ok(flat.data.every((v) => v === 0));
  });
});
