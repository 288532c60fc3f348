// The least-squares similarity against numpy goldens (skimage's Umeyama, made offline), and the
// landmark round trip: template ← face → back within 0.5 px (in fact to 1e-9).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readGoldens } from '../testing/fixtures.js';
import { affineRows, applyAffine, invertAffine } from './affine.js';
import { FFHQ_TEMPLATE_512, ffhqTemplate } from './ffhq-template.js';
import { estimateSimilarity } from './similarity.js';

describe('similarity transform', () => {
  it('equals the Umeyama goldens computed with numpy (5 landmark sets: rotated, scaled, shifted, jittered)', async () => {
    const { similarity } = await readGoldens();
    assert.equal(similarity.length, 5);
    for (const [i, golden] of similarity.entries()) {
      const m = estimateSimilarity(golden.landmarks.map(([x, y]) => ({ x, y })), FFHQ_TEMPLATE_512);
      const rows = affineRows(m);
      for (let r = 0; r < 2; r++) {
        for (let c = 0; c < 3; c++) assert.ok(Math.abs(rows[r][c] - golden.matrix[r][c]) < 1e-9 * Math.max(1, Math.abs(golden.matrix[r][c])), `case ${i} [${r}][${c}]: ${rows[r][c]} vs ${golden.matrix[r][c]}`);
      }
    }
  });

  it('round trip: landmarks warped to the template and back land within 0.5 px (1e-9) of where they were', async () => {
    const { similarity } = await readGoldens();
    for (const golden of similarity) {
      const landmarks = golden.landmarks.map(([x, y]) => ({ x, y }));
      const toFace = estimateSimilarity(landmarks, ffhqTemplate(512));
      const back = invertAffine(toFace);
      for (const p of landmarks) {
        const q = applyAffine(back, applyAffine(toFace, p));
        assert.ok(Math.hypot(q.x - p.x, q.y - p.y) < 1e-9);
      }
    }
  });

  it('the template scales with the restorer size', () => {
    assert.deepEqual(ffhqTemplate(256)[0], { x: 192.98138 / 2, y: 239.94708 / 2 });
  });
});
