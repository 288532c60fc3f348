// SCRFD decoding against goldens from insightface's own decoding and NMS (re-typed in numpy,
// offline): pure decoding, the letterbox sizes, and the detector through ONNX Runtime on graphs
// with det_10g's 9-output layout, plain [N,k] and batched [1,N,k].
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaceRestoreError } from '../errors.js';
import type { PixelImage } from '../pixel-image.js';
import { writeRestorerGraph, writeScrfdGraph } from '../testing/face-graphs.js';
import { readGoldens, type ScrfdGolden } from '../testing/fixtures.js';
import type { DetectedFace } from './detected-face.js';
import { FaceDetector } from './face-detector.js';
import { nonMaximumSuppression } from './nms.js';
import { decodeScrfd, scrfdLayout, scrfdResize, type ScrfdHead } from './scrfd-decode.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'scrfd-test-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

function heads(golden: ScrfdGolden): ScrfdHead[] {
  return [8, 16, 32].map((stride) => {
    const count = (640 / stride) ** 2 * 2;
    const scores = new Float32Array(count);
    const boxes = new Float32Array(count * 4);
    const landmarks = new Float32Array(count * 10);
    for (const entry of golden.entries.filter((e) => e.stride === stride)) {
      scores[entry.index] = entry.score;
      boxes.set(entry.box, entry.index * 4);
      landmarks.set(entry.landmarks, entry.index * 10);
    }
    return { stride, scores, boxes, landmarks };
  });
}

function assertFaces(actual: readonly DetectedFace[], golden: ScrfdGolden): void {
  assert.equal(actual.length, golden.faces.length);
  for (const [i, face] of actual.entries()) {
    const expected = golden.faces[i];
    const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-3, `face ${i} ${what}: ${a} vs ${b}`);
    close(face.score, expected.score, 'score');
    [face.box.x1, face.box.y1, face.box.x2, face.box.y2].forEach((v, k) => close(v, expected.box[k], `box ${k}`));
    face.landmarks.forEach((p, k) => {
      close(p.x, expected.landmarks[k][0], `landmark ${k}.x`);
      close(p.y, expected.landmarks[k][1], `landmark ${k}.y`);
    });
  }
}

describe('SCRFD', () => {
  it('letterbox sizes and det_scale equal insightface’s', async () => {
    const { resize } = await readGoldens();
    for (const { imageSize, resized } of resize) {
      const actual = scrfdResize(imageSize[0], imageSize[1], 640, 640);
      assert.deepEqual([actual.width, actual.height], resized.slice(0, 2));
      assert.ok(Math.abs(actual.detScale - resized[2]) < 1e-12);
    }
  });

  it('decoding and NMS equal insightface’s on the goldens (a duplicate suppressed, a low score dropped)', async () => {
    const { scrfd } = await readGoldens();
    assert.equal(scrfd.length, 3);
    for (const golden of scrfd) {
      const faces = nonMaximumSuppression(decodeScrfd(heads(golden), 640, 2, 0.5, golden.resized[2]), 0.4);
      assertFaces(faces, golden);
    }
  });

  it('the 15-output layout (strides 8…128, one anchor per location) places anchors row-major per stride', () => {
    assert.deepEqual(scrfdLayout(15), { strides: [8, 16, 32, 64, 128], anchors: 1 });
    assert.deepEqual(scrfdLayout(9), { strides: [8, 16, 32], anchors: 2 });
    assert.equal(scrfdLayout(6), null); // no landmarks
    // Stride 64 on 640²: 10 columns; anchor 23 is column 3, row 2 → centre (192, 128).
    const scores = new Float32Array(100);
    scores[23] = 0.8;
    const boxes = new Float32Array(400);
    boxes.set([1, 0.5, 1, 1.5], 23 * 4);
    const landmarks = new Float32Array(1000);
    landmarks.set([-0.25, -0.25, 0.25, -0.25, 0, 0, -0.2, 0.5, 0.2, 0.5], 23 * 10);
    const [face] = decodeScrfd([{ stride: 64, scores, boxes, landmarks }], 640, 1, 0.5, 0.5);
    assert.deepEqual(face.box, { x1: (192 - 64) / 0.5, y1: (128 - 32) / 0.5, x2: (192 + 64) / 0.5, y2: (128 + 96) / 0.5 });
    assert.deepEqual(face.landmarks[0], { x: (192 - 16) / 0.5, y: (128 - 16) / 0.5 });
    assert.deepEqual(face.landmarks[4], { x: (192 + Math.fround(0.2) * 64) / 0.5, y: (128 + 32) / 0.5 });
  });

  for (const batched of [false, true]) {
    it(`the detector through ONNX Runtime (${batched ? '[1,N,k]' : '[N,k]'} outputs) finds the golden faces`, async () => {
      const { scrfd } = await readGoldens();
      const golden = scrfd[0];
      const detector = await FaceDetector.open(await writeScrfdGraph(path.join(folder, `scrfd-${batched}.onnx`), golden.entries, { batched }));
      assert.deepEqual([detector.inputWidth, detector.inputHeight], [640, 640]);
      const [width, height] = golden.imageSize;
      const image: PixelImage = { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(90) };
      assertFaces(await detector.detect(image, { scoreThreshold: 0.5, nmsThreshold: 0.4 }), golden);
      await detector.release();
    });
  }

  it('a model without the SCRFD landmark layout is refused with face_model_invalid', async () => {
    const file = await writeRestorerGraph(path.join(folder, 'not-a-detector.onnx'), { kind: 'gfpgan', transform: 'identity' });
    await assert.rejects(FaceDetector.open(file), (error: unknown) => error instanceof FaceRestoreError && error.code === 'face_model_invalid');
    await assert.rejects(FaceDetector.open(path.join(folder, 'absent.onnx')), (error: unknown) => error instanceof FaceRestoreError && error.code === 'face_model_missing');
  });
});
