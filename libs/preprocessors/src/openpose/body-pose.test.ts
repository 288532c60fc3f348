// Pose drawing against OpenCV's own primitives (fixtures/openpose, scripts/make_pose_fixtures.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES_DIR, readFixturePng } from '../testing/index.js';
import { BODY_COLOURS, BODY_LIMBS, drawBodies, KEYPOINT_RADIUS, LIMB_DIMMING, STICK_WIDTH, type BodyKeypoints } from './body-pose.js';

interface PoseCase {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly file: string;
  readonly people: readonly (readonly ([number, number] | null)[])[];
  readonly faces: readonly (readonly ([number, number] | null)[])[];
}
const { cases } = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'openpose', 'poses.json'), 'utf8')) as { cases: PoseCase[] };

describe('openpose body drawing', () => {
  for (const entry of cases) {
    it(`${entry.name} equals OpenCV pixel for pixel`, async () => {
      const people: BodyKeypoints[] = entry.people.map((person) => person.map((p) => (p ? { x: p[0], y: p[1] } : null)));
      const faces = entry.faces.map((face) => face.map((p) => (p ? { x: p[0], y: p[1] } : null)));
      const ours = drawBodies(people, entry.width, entry.height, faces);
      const golden = await readFixturePng(`openpose/${entry.file}`);
      let different = 0;
      for (let i = 0; i < golden.data.length; i++) if (ours.data[i] !== golden.data[i]) different++;
      console.log(`openpose draw ${entry.name}: ${different} of ${golden.data.length} channel values differ from OpenCV`);
      assert.equal(different, 0);
    });
  }

  it('uses ControlNet openpose colours, 17 limbs, stick width 4, radius 4, limbs at 60%', () => {
    assert.equal(BODY_COLOURS.length, 18);
    assert.deepEqual(BODY_COLOURS[0], [255, 0, 0]);
    assert.deepEqual(BODY_COLOURS[12], [0, 0, 255]);
    assert.deepEqual(BODY_COLOURS[17], [255, 0, 85]);
    assert.equal(BODY_LIMBS.length, 17);
    assert.deepEqual(BODY_LIMBS[0], [2, 3]);
    assert.deepEqual(BODY_LIMBS[16], [16, 18]);
    assert.equal(STICK_WIDTH, 4);
    assert.equal(KEYPOINT_RADIUS, 4);
    assert.equal(LIMB_DIMMING, 0.6);
    // a lone neck-to-right-shoulder limb: colour 0 dimmed to 153,0,0; the keypoint discs at full colour
    const person: BodyKeypoints = Array.from({ length: 18 }, (_, k) => (k === 1 ? { x: 0.25, y: 0.5 } : k === 2 ? { x: 0.75, y: 0.5 } : null));
    const map = drawBodies([person], 64, 64);
    const at = (x: number, y: number): number[] => Array.from(map.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    assert.deepEqual(at(32, 32), [153, 0, 0]);
    assert.deepEqual(at(16, 32), BODY_COLOURS[1]);
    assert.deepEqual(at(48, 32), BODY_COLOURS[2]);
    assert.deepEqual(at(32, 40), [0, 0, 0]);
  });
});
