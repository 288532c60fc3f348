/**
 * The image prompt preprocessing equals transformers' CLIPImageProcessor (PIL backend) on
 * goldens made offline by libs/diffusion/scripts/make_clip_image_fixtures.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { clipPixelValues, clipResizeSize, decodeIpImage } from './clip-image.js';
import { IpAdapterError } from './errors.js';
import { syntheticRgb8 } from './testing/synthetic-image.js';

interface GoldenCase {
  readonly width: number;
  readonly height: number;
  readonly indices: readonly number[];
  readonly values: readonly number[];
  readonly channelSums: readonly number[];
}

const goldens = JSON.parse(
  readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ip-adapter', 'clip-image-goldens.json'), 'utf8'),
) as { cases: GoldenCase[] };

describe('CLIP image preprocessing (transformers CLIPImageProcessor)', () => {
  it('has goldens for down- and upscaling, both orientations and the exact size', () => {
    assert.ok(goldens.cases.length >= 5);
    assert.ok(goldens.cases.some((entry) => entry.width < 224 && entry.height < 224));
    assert.ok(goldens.cases.some((entry) => entry.width > 224 && entry.height > 224));
  });

  for (const golden of goldens.cases) {
    it(`${golden.width}×${golden.height}: every sampled value equals the golden exactly, channel sums agree`, () => {
      const values = clipPixelValues(syntheticRgb8(golden.width, golden.height));
      assert.equal(values.length, 3 * 224 * 224);
      let worst = 0;
      for (const [k, index] of golden.indices.entries()) worst = Math.max(worst, Math.abs(values[index] - golden.values[k]));
      assert.equal(worst, 0, `max difference ${worst}`);
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let i = c * 224 * 224; i < (c + 1) * 224 * 224; i++) sum += values[i];
        assert.ok(Math.abs(sum - golden.channelSums[c]) < 1e-2, `channel ${c}: ${sum} vs ${golden.channelSums[c]}`);
      }
    });
  }

  it('resizes the shortest side to 224 and truncates the other, as transformers does', () => {
    assert.deepEqual(clipResizeSize(300, 180), { width: 373, height: 224 });
    assert.deepEqual(clipResizeSize(90, 160), { width: 224, height: 398 });
    assert.deepEqual(clipResizeSize(224, 224), { width: 224, height: 224 });
  });

  it('decodes PNG bytes to the same pixels as the raw image, alpha dropped', async () => {
    const raw = syntheticRgb8(40, 30);
    const rgba = new Uint8Array(40 * 30 * 4);
    for (let i = 0; i < 40 * 30; i++) {
      rgba.set(raw.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = 77;
    }
    const png = new Uint8Array(await sharp(rgba, { raw: { width: 40, height: 30, channels: 4 } }).png().toBuffer());
    const decoded = await decodeIpImage(png, 'ip_adapter.images[0]');
    assert.equal(decoded.width, 40);
    assert.deepEqual([...decoded.data], [...raw.data]);
  });

  it('refuses bytes that are no image with a coded error naming the field', async () => {
    await assert.rejects(decodeIpImage(new Uint8Array([1, 2, 3, 4]), 'ip_adapter.images[1]'), (error: unknown) => {
      assert.ok(error instanceof IpAdapterError);
      assert.equal(error.code, 'ip_adapter_image_invalid');
      assert.equal(error.field, 'ip_adapter.images[1]');
      return true;
    });
  });
});
