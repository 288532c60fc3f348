// Paste-back against facexlib's steps run with OpenCV 5 on float32 (scripts/make_paste_goldens.py):
// the alignment, the warped mask and face, the erosions and the blur (cv2's fixed 7-tap kernel
// included) agree to float rounding (the warped face within 0.01 of a level).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { affineRows, invertAffine } from '../alignment/affine.js';
import { ffhqTemplate } from '../alignment/ffhq-template.js';
import { estimateSimilarity } from '../alignment/similarity.js';
import { warpBilinear } from '../alignment/warp.js';
import { readPasteGolden } from '../testing/fixtures.js';
import { pasteWindow } from './paste-face.js';
import { softMask } from './soft-mask.js';

function maxDifference(a: Float32Array, b: Float32Array, where: (i: number) => boolean = () => true): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) if (where(i)) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('paste-back goldens (OpenCV)', () => {
  it('alignment, warped mask, soft mask and warped face match facexlib’s OpenCV steps', async () => {
    const golden = await readPasteGolden();
    const { size, width, height } = golden;
    const toFace = estimateSimilarity(golden.landmarks.map(([x, y]) => ({ x, y })), ffhqTemplate(size));
    affineRows(toFace).forEach((row, r) => row.forEach((value, c) => assert.ok(Math.abs(value - golden.affine[r][c]) < 1e-9)));

    // Erode 2×2, erode (2·w_edge)², blur (2·w_edge+1)²: the same arithmetic as OpenCV on the same input.
    const fromGolden = softMask(golden.invMask, width, height);
    const softError = maxDifference(fromGolden.soft, golden.softMask);
    assert.ok(softError < 1e-5, `soft mask from cv2's warped mask: ${softError}`);

    const ones = { width: size, height: size, channels: 1, data: new Float32Array(size * size).fill(1) };
    const mask = warpBilinear(ones, toFace, width, height, [0]);
    const maskError = maxDifference(mask, golden.invMask);
    const ours = softMask(mask, width, height);
    const oursError = maxDifference(ours.soft, golden.softMask);
    assert.ok(maskError < 1e-5 && oursError < 1e-5, `warped mask ${maskError}, soft mask ${oursError}`);

    const face = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) face.set([(x / size) * 255, (y / size) * 255, ((x + y) / (2 * size)) * 255], (y * size + x) * 3);
    }
    const warped = warpBilinear({ width: size, height: size, channels: 3, data: face }, toFace, width, height, [0, 0, 0]);
    const faceError = maxDifference(warped, golden.invFace);
    assert.ok(faceError < 0.01, `warped face ${faceError} levels`);
    console.log(`paste goldens: soft mask (same input) ${softError.toExponential(2)}, warped mask ${maskError.toExponential(2)}, soft mask ${oursError.toExponential(2)}, face ${faceError.toExponential(2)} levels (0–255)`);

    // The paste window covers every pixel the soft mask touches.
    const window = pasteWindow(invertAffine(toFace), size, width, height);
    assert.ok(window);
    golden.softMask.forEach((value, i) => {
      if (value === 0) return;
      const x = i % width;
      const y = Math.floor(i / width);
      assert.ok(x >= window.left && x < window.left + window.width && y >= window.top && y < window.top + window.height, `(${x},${y})`);
    });
  });
});
