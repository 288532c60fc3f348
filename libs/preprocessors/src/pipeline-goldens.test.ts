// End to end against goldens (fixtures/pipeline, scripts/make_pipeline_fixtures.py): controlnet_aux's
// CannyDetector steps + diffusers' resize to the generation size, and the float bicubic resize.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeControlImage } from './control-image.js';
import { floatResize } from './image/float-resize.js';
import { preprocess } from './preprocess.js';
import { PreprocessorModels } from './preprocessor-models.js';
import { FIXTURES_DIR, readFixturePng } from './testing/index.js';

interface Manifest {
  readonly canny: readonly { name: string; detect_resolution: number; image_resolution: number; width: number; height: number; file: string }[];
  readonly cubic: { crop: [number, number, number, number]; width: number; height: number; file: string };
}
const manifest = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'pipeline', 'manifest.json'), 'utf8')) as Manifest;

describe('control maps end to end', () => {
  for (const entry of manifest.canny) {
    it(`canny ${entry.name} (detect ${entry.detect_resolution}, image ${entry.image_resolution})`, async () => {
      const photo = await readFixturePng('canny/street.png');
      const golden = await readFixturePng(`pipeline/${entry.file}`);
      const options = { width: entry.width, height: entry.height, detect_resolution: entry.detect_resolution, image_resolution: entry.image_resolution };
      const { image } = await preprocess('canny', photo, options, new PreprocessorModels({}));
      assert.equal(image.width, golden.width);
      assert.equal(image.height, golden.height);
      let same = 0;
      let worst = 0;
      let union = 0;
      let both = 0;
      for (let i = 0; i < golden.data.length; i++) {
        const ours = image.data[i * 3];
        const difference = Math.abs(ours - golden.data[i]);
        if (difference === 0) same++;
        worst = Math.max(worst, difference);
        if (ours > 127 || golden.data[i] > 127) union++;
        if (ours > 127 && golden.data[i] > 127) both++;
      }
      const agreement = same / golden.data.length;
      console.log(`pipeline ${entry.name}: ${(agreement * 100).toFixed(3)}% pixels exact, max |diff| ${worst}, edge IoU ${((100 * both) / union).toFixed(2)}%`);
      assert.ok(agreement >= 0.99, `agreement ${agreement}`);
      assert.ok(both / union >= 0.95);
    });
  }

  it('float bicubic resize (Depth Anything input) matches cv2 within 1e-5', () => {
    const [x0, y0, w, h] = manifest.cubic.crop;
    return readFixturePng('canny/street.png').then((photo) => {
      const data = new Float32Array(w * h * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = photo.data[((y + y0) * photo.width + x + x0) * 3 + c] / 255;
      const ours = floatResize({ width: w, height: h, channels: 3, data }, manifest.cubic.width, manifest.cubic.height, 'cubic');
      const bytes = readFileSync(path.join(FIXTURES_DIR, 'pipeline', manifest.cubic.file));
      const golden = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      let worst = 0;
      for (let i = 0; i < golden.length; i++) worst = Math.max(worst, Math.abs(golden[i] - ours.data[i]));
      console.log(`float cubic ${manifest.cubic.width}x${manifest.cubic.height}: max |diff| ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-5);
    });
  });

  it('decodes control images at their own size, transparency over white', async () => {
    const rgba = Buffer.from([255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 128, 10, 20, 30, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
    const image = await decodeControlImage(png);
    assert.equal(image.width, 2);
    assert.equal(image.channels, 3);
    assert.deepEqual(Array.from(image.data.subarray(0, 3)), [255, 0, 0]);
    assert.deepEqual(Array.from(image.data.subarray(3, 6)), [255, 255, 255]); // fully transparent → white
    assert.ok(Math.abs(image.data[6] - 127) <= 1 && image.data[7] === 255); // half-transparent green over white
    await assert.rejects(decodeControlImage(Buffer.from('not an image'), 'controlnets[0].image'), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'invalid_control_image');
      assert.equal((error as { field?: string }).field, 'controlnets[0].image');
      return true;
    });
  });
});
