// restoreFaces end to end through ONNX Runtime: an SCRFD-shaped detector that reports a face
// whose alignment is a whole-pixel shift, and restorers with known transforms, so the pasted
// region is checked exactly: inverted deep inside the mask, untouched outside the face square.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FFHQ_TEMPLATE_512 } from './alignment/ffhq-template.js';
import { FaceDetector } from './detection/face-detector.js';
import { FaceRestoreError } from './errors.js';
import type { PixelImage } from './pixel-image.js';
import { restoreFaces } from './restore-faces.js';
import { FaceRestorer } from './restoration/face-restorer.js';
import { writeRestorerGraph, writeScrfdGraph, type ScrfdEntry } from './testing/face-graphs.js';

const SIZE = 640;
/** Where the aligned face's top-left lands: the landmarks are the template shifted by this. */
const SHIFT = [{ x: 100, y: 60 }, { x: 20, y: 40 }];

/** A stride-32 anchor at (cx, cy) reporting a face whose landmarks are the template + shift. */
function faceEntry(column: number, row: number, shift: { x: number; y: number }, score: number): ScrfdEntry {
  const cx = column * 32;
  const cy = row * 32;
  return {
    stride: 32,
    index: 2 * (row * 20 + column),
    score,
    box: [4, 4, 4, 4],
    landmarks: FFHQ_TEMPLATE_512.flatMap((p) => [(p.x + shift.x - cx) / 32, (p.y + shift.y - cy) / 32]),
  };
}

function testImage(): PixelImage {
  const data = new Uint8Array(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const at = (y * SIZE + x) * 4;
      data[at] = (x * 7 + y) & 255;
      data[at + 1] = (y * 5 + 3 * x) & 255;
      data[at + 2] = (x ^ y) & 255;
      data[at + 3] = (x + y) & 255;
    }
  }
  return { width: SIZE, height: SIZE, channels: 4, data };
}

let folder = '';
let detector: FaceDetector;
before(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'restore-faces-test-'));
  detector = await FaceDetector.open(await writeScrfdGraph(path.join(folder, 'scrfd.onnx'), [faceEntry(10, 10, SHIFT[0], 0.9)]));
});
after(async () => {
  await detector.release();
  await rm(folder, { recursive: true, force: true });
});

/** Distance from (x, y) to the face square [shift, shift + 512) — negative inside. */
function outsideBy(x: number, y: number, shift: { x: number; y: number }): number {
  const dx = Math.max(shift.x - x, x - (shift.x + 511));
  const dy = Math.max(shift.y - y, y - (shift.y + 511));
  return Math.max(dx, dy);
}

describe('restoreFaces', () => {
  for (const [kind, dtype] of [['codeformer', 'float32'], ['gfpgan', 'float32'], ['gfpgan', 'float16']] as const) {
    it(`${kind} (${dtype}) inverting colours: exact inside the mask, untouched outside, alpha kept`, async () => {
      const restorer = await FaceRestorer.open(await writeRestorerGraph(path.join(folder, `${kind}-${dtype}-invert.onnx`), { kind, transform: 'invert', dtype }));
      assert.equal(restorer.kind, kind);
      assert.equal(restorer.size, 512);
      const image = testImage();
      const before = image.data.slice();
      const progress: number[] = [];
      const result = await restoreFaces(image, { detector, restorer }, { onProgress: ({ done }) => progress.push(done) });
      assert.deepEqual(progress, [1]);
      assert.equal(result.faces.length, 1);
      assert.deepEqual(image.data, before, 'the input is not modified');
      let inverted = 0;
      let untouched = 0;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const at = (y * SIZE + x) * 4;
          const distance = outsideBy(x, y, SHIFT[0]);
          assert.equal(result.image.data[at + 3], before[at + 3]);
          for (let c = 0; c < 3; c++) {
            const value = result.image.data[at + c];
            if (distance < -52) assert.equal(value, 255 - before[at + c], `(${x},${y})`);
            else if (distance > 1) assert.equal(value, before[at + c], `(${x},${y})`);
            else assert.ok(value >= Math.min(before[at + c], 255 - before[at + c]) - 1 && value <= Math.max(before[at + c], 255 - before[at + c]) + 1);
          }
          if (distance < -52) inverted++;
          else if (distance > 1) untouched++;
        }
      }
      assert.ok(inverted > 150_000 && untouched > 100_000, `${inverted} inverted, ${untouched} untouched`);
      await restorer.release();
    });
  }

  it('CodeFormer receives the fidelity as its double weight; visibility blends with the original', async () => {
    const restorer = await FaceRestorer.open(await writeRestorerGraph(path.join(folder, 'codeformer-fidelity.onnx'), { kind: 'codeformer', transform: 'fidelity' }));
    const image = testImage();
    const centre = (300 * SIZE + 350) * 4;
    const full = await restoreFaces(image, { detector, restorer }, { fidelity: 0.2 });
    assert.equal(full.image.data[centre], 51); // 0.2 · 255
    const inverter = await FaceRestorer.open(await writeRestorerGraph(path.join(folder, 'codeformer-blend.onnx'), { kind: 'codeformer', transform: 'invert' }));
    const quarter = await restoreFaces(image, { detector, restorer: inverter }, { visibility: 0.25 });
    const original = image.data[centre];
    assert.equal(quarter.image.data[centre], Math.round(original + 0.25 * (255 - 2 * original)));
    await restorer.release();
    await inverter.release();
  });

  it('progress per face and cancel between faces (face_restore_canceled); option and model errors carry codes', async () => {
    const two = await FaceDetector.open(await writeScrfdGraph(path.join(folder, 'scrfd-two.onnx'), [faceEntry(10, 10, SHIFT[0], 0.9), faceEntry(5, 5, SHIFT[1], 0.8)]));
    const restorer = await FaceRestorer.open(await writeRestorerGraph(path.join(folder, 'gfpgan-identity.onnx'), { kind: 'gfpgan', transform: 'identity' }));
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      restoreFaces(testImage(), { detector: two, restorer }, {
        nmsThreshold: 1,
        signal: controller.signal,
        onProgress: ({ done, total }) => {
          seen.push(done, total);
          controller.abort();
        },
      }),
      (error: unknown) => error instanceof FaceRestoreError && error.code === 'face_restore_canceled',
    );
    assert.deepEqual(seen, [1, 2]);
    const code = (expected: string) => (error: unknown) => error instanceof FaceRestoreError && error.code === expected;
    await assert.rejects(restoreFaces(testImage(), { detector: two, restorer }, { fidelity: 2 }), code('face_option_invalid'));
    await assert.rejects(restoreFaces({ width: 4, height: 4, channels: 3, data: new Uint8Array(3) }, { detector: two, restorer }), code('face_image_invalid'));
    await assert.rejects(FaceRestorer.open(path.join(folder, 'absent.onnx')), code('face_model_missing'));
    await assert.rejects(FaceRestorer.open(path.join(folder, 'scrfd.onnx')), code('face_model_invalid'));
    await two.release();
    await restorer.release();
  });
});
