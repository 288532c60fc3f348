// SimCC decoding, the YOLOX head and the DWPose → OpenPose keypoint mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSimcc } from './simcc.js';
import { fromCrop, poseCrop } from './top-down-affine.js';
import { toOpenposeBody } from './wholebody.js';
import { decodePersons, nonMaximumSuppression } from './yolox.js';

describe('DWPose decoding', () => {
  it('SimCC: argmax / 2, score = min of the two maxima, non-positive scores at -1', () => {
    const x = Float32Array.of(0, 0.2, 0.9, 0.1, /* k1 */ 0, 0, 0, 0, /* k2 */ 0.5, 0.5, 0.1, 0);
    const y = Float32Array.of(0.1, 0.8, 0, 0, 0, 0, /* k1 */ 0, 0, 0, 0, 0, 0, /* k2 */ 0, 0, 0, 0, 0, 0.7);
    const points = decodeSimcc(x, y, 3);
    assert.equal(points[0].x, 1);
    assert.equal(points[0].y, 0.5);
    assert.ok(Math.abs(points[0].score - 0.8) < 1e-6);
    assert.deepEqual({ x: points[1].x, y: points[1].y, score: points[1].score }, { x: -0.5, y: -0.5, score: 0 });
    assert.equal(points[2].x, 0); // first of two equal maxima
    assert.equal(points[2].y, 2.5);
    assert.ok(Math.abs(points[2].score - 0.5) < 1e-6);
  });

  it('crops with padding 1.25 to the model aspect and maps keypoints back', () => {
    const crop = poseCrop({ x1: 192, y1: 128, x2: 320, y2: 384 }, 288, 384);
    assert.deepEqual(crop, { centerX: 256, centerY: 256, scaleX: 240, scaleY: 320 });
    assert.deepEqual(fromCrop(144, 192, crop, 288, 384), { x: 256, y: 256 });
    assert.deepEqual(fromCrop(0, 0, crop, 288, 384), { x: 136, y: 96 });
  });

  it('YOLOX head: grid offsets and strides, objectness x class score, NMS', () => {
    const head = new Float32Array(8400 * 85);
    const put = (anchor: number, values: number[]): void => head.set(values, anchor * 85);
    // stride 32 cell (10, 10): centre 320,320 size 160x320 in the 640 input
    put(8000 + 10 * 20 + 10, [0, 0, Math.log(5), Math.log(10), 0.9, 0.9]);
    // a weaker, overlapping duplicate (stride 16 cell (20, 20)), suppressed
    put(6400 + 20 * 40 + 20, [0, 0, Math.log(10), Math.log(20), 0.8, 0.8]);
    // a person below the 0.3 keep score, and a box of another class
    put(100, [0, 0, 1, 1, 0.5, 0.5]);
    head.set([0, 0, 1, 1, 0.9, 0, 0.9], 200 * 85);
    const boxes = decodePersons(head, 8400, 85, 640, 640, 1.25);
    assert.equal(boxes.length, 1);
    assert.ok(Math.abs(boxes[0].x1 - 192) < 1e-3 && Math.abs(boxes[0].y1 - 128) < 1e-3);
    assert.ok(Math.abs(boxes[0].x2 - 320) < 1e-3 && Math.abs(boxes[0].y2 - 384) < 1e-3);
    assert.ok(Math.abs(boxes[0].score - 0.81) < 1e-6);
    const kept = nonMaximumSuppression(
      [
        { x1: 0, y1: 0, x2: 10, y2: 10, score: 0.5 },
        { x1: 1, y1: 1, x2: 11, y2: 11, score: 0.9 },
        { x1: 50, y1: 50, x2: 60, y2: 60, score: 0.4 },
      ],
      0.45,
    );
    assert.deepEqual(kept.map((b) => b.score), [0.9, 0.4]);
  });

  it('COCO-WholeBody → OpenPose 18: neck from the shoulders, reordered, scores ≤ 0.3 hidden', () => {
    const person = Array.from({ length: 133 }, (_, k) => ({ x: k * 10, y: k, score: k === 3 ? 0.2 : k < 17 ? 0.9 : 0 }));
    const body = toOpenposeBody(person, 1000, 100);
    assert.equal(body.length, 18);
    assert.deepEqual(body[0], { x: 0, y: 0 }); // nose stays
    assert.deepEqual(body[1], { x: 0.055, y: 0.055 }); // neck = mean of shoulders 5 and 6
    assert.deepEqual(body[2], { x: 0.06, y: 0.06 }); // right shoulder ← COCO 6
    assert.deepEqual(body[5], { x: 0.05, y: 0.05 }); // left shoulder ← COCO 5
    assert.deepEqual(body[14], { x: 0.02, y: 0.02 }); // right eye ← COCO 2
    assert.equal(body[17], null); // left ear ← COCO 3, score 0.2
  });
});

describe('DWPose crop', () => {
  it('warps like cv2.warpAffine (INTER_LINEAR, zero border) on RTMPose boxes', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { FIXTURES_DIR, readFixturePng } = await import('../testing/index.js');
    const { warpCrop } = await import('./top-down-affine.js');
    const { cases } = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'warp', 'boxes.json'), 'utf8')) as { cases: { box: number[]; file: string }[] };
    const photo = await readFixturePng('canny/street.png');
    for (const entry of cases) {
      const [x1, y1, x2, y2] = entry.box;
      const warped = warpCrop(photo, poseCrop({ x1, y1, x2, y2 }, 288, 384), 288, 384);
      const golden = await readFixturePng(`warp/${entry.file}`);
      let same = 0;
      let worst = 0;
      for (let i = 0; i < golden.data.length; i++) {
        const difference = Math.abs(warped[i * 3] - golden.data[i]);
        if (difference === 0) same++;
        worst = Math.max(worst, difference);
      }
      console.log(`dwpose crop ${entry.box.join(',')}: ${((100 * same) / golden.data.length).toFixed(3)}% exact, max |diff| ${worst}`);
      assert.ok(same / golden.data.length >= 0.99);
      assert.ok(worst <= 1);
    }
  });
});
