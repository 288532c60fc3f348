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
import { decodeScrfd, scrfdResize, type ScrfdHead } from './scrfd-decode.js';

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
