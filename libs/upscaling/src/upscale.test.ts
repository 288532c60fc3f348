// upscale() through ONNX Runtime on graphs written by our code: exact pixel-shuffle outputs at x2
// and x4 under every input name, fp16 I/O, static shapes, alpha, progress, cancel and errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { float16BitsToFloat32, float32ToFloat16Bits } from '@atelier/onnx-graph';
import { UpscaleError } from './errors.js';
import type { PixelImage } from './pixel-image.js';
import { noiseImage } from './testing/test-images.js';
import { shuffleGain, writeUpscalerGraph } from './testing/upscaler-graphs.js';
import { upscale } from './upscale.js';
import { UpscalerModel } from './upscaler-model.js';

let folder = '';
before(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'upscale-test-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

const byte = (value: number): number => Math.min(255, Math.max(0, Math.round(value * 255)));
const half = (value: number): number => float16BitsToFloat32(float32ToFloat16Bits(value));

/** The pixel-shuffle graph's output computed here, channel by channel, from the definition. */
function expectedShuffle(image: PixelImage, scale: number, precision: (value: number) => number = Math.fround): Uint8Array {
  const outWidth = image.width * scale;
  const out = new Uint8Array(outWidth * image.height * scale * image.channels);
  for (let Y = 0; Y < image.height * scale; Y++) {
    for (let X = 0; X < outWidth; X++) {
      const from = (Math.floor(Y / scale) * image.width + Math.floor(X / scale)) * image.channels;
      const gain = shuffleGain(Y % scale, X % scale, scale);
      for (let c = 0; c < 3; c++) out[(Y * outWidth + X) * image.channels + c] = byte(precision(Math.fround(precision(image.data[from + c] / 255) * gain)));
      if (image.channels === 4) out[(Y * outWidth + X) * 4 + 3] = 255;
    }
  }
  return out;
}

function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  assert.equal(actual.length, expected.length);
  return actual.findIndex((value, i) => value !== expected[i]);
}

describe('upscale', () => {
  for (const [scale, inputName] of [[2, 'input'], [4, 'data'], [2, 'pixel_values'], [4, 'image']] as const) {
    it(`x${scale} pixel shuffle with input \`${inputName}\`: the scale is probed, tiled output equals the known result exactly`, async () => {
      const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, `x${scale}-${inputName}.onnx`), { scale, inputName }));
      assert.equal(model.scale, scale);
      assert.equal(model.inputName, inputName);
      assert.equal(model.fixedSize, null);
      const image = noiseImage(70, 45, 3, scale);
      const result = await upscale(image, model, { tileSize: 24, overlap: 8 });
      assert.deepEqual([result.width, result.height, result.channels], [70 * scale, 45 * scale, 3]);
      assert.equal(firstDifference(result.data, expectedShuffle(image, scale)), -1);
      await model.release();
    });
  }

  it('fp16 export: input converted to half at the boundary, half output read back', async () => {
    const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'x2-fp16.onnx'), { scale: 2, dtype: 'float16' }));
    assert.equal(model.inputType, 'float16');
    assert.equal(model.scale, 2);
    const image = noiseImage(33, 29, 3, 7);
    const result = await upscale(image, model, { tileSize: 16, overlap: 4 });
    assert.equal(firstDifference(result.data, expectedShuffle(image, 2, half)), -1);
    await model.release();
  });

  it('static shapes: the scale comes from the declared dims, tiles are the fixed size, a smaller image is padded', async () => {
    const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'x4-fixed.onnx'), { scale: 4, fixed: { width: 32, height: 32 } }));
    assert.equal(model.scale, 4);
    assert.deepEqual(model.fixedSize, { width: 32, height: 32 });
    const image = noiseImage(50, 20, 3, 3);
    const tiles: number[] = [];
    const result = await upscale(image, model, { tileSize: 512, overlap: 8, onProgress: ({ done }) => tiles.push(done) });
    assert.deepEqual(tiles, [1, 2]); // 50 wide in 32-wide tiles, one 20-high row padded to 32
    assert.equal(firstDifference(result.data, expectedShuffle(image, 4)), -1);
    await model.release();
  });

  it('alpha: an opaque RGBA stays 255 in one pass; a transparent one is upscaled through the model as grey', async () => {
    const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'x2-alpha.onnx'), { scale: 2 }));
    const opaque = noiseImage(40, 30, 4, 5);
    for (let i = 3; i < opaque.data.length; i += 4) opaque.data[i] = 255;
    const progress: Array<[number, number]> = [];
    const flat = await upscale(opaque, model, { tileSize: 16, overlap: 4, onProgress: ({ done, total }) => progress.push([done, total]) });
    assert.equal(firstDifference(flat.data, expectedShuffle(opaque, 2)), -1);
    const passTiles = progress.length;
    assert.deepEqual(progress.at(-1), [passTiles, passTiles]);

    const clear = noiseImage(40, 30, 4, 6);
    progress.length = 0;
    const result = await upscale(clear, model, { tileSize: 16, overlap: 4, onProgress: ({ done, total }) => progress.push([done, total]) });
    assert.deepEqual(progress.map(([done]) => done), Array.from({ length: 2 * passTiles }, (_, i) => i + 1));
    assert.ok(progress.every(([, total]) => total === 2 * passTiles));
    const expected = expectedShuffle(clear, 2);
    for (let Y = 0; Y < 60; Y++) {
      for (let X = 0; X < 80; X++) {
        const alpha = clear.data[(Math.floor(Y / 2) * 40 + Math.floor(X / 2)) * 4 + 3];
        expected[(Y * 80 + X) * 4 + 3] = Math.round(alpha * shuffleGain(Y % 2, X % 2, 2));
      }
    }
    assert.equal(firstDifference(result.data, expected), -1);
    await model.release();
  });

  it('cancel between tiles: an aborted signal stops before the next tile with upscale_canceled', async () => {
    const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'x2-cancel.onnx'), { scale: 2 }));
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      upscale(noiseImage(64, 64, 3), model, {
        tileSize: 16,
        overlap: 4,
        signal: controller.signal,
        onProgress: ({ done }) => {
          seen.push(done);
          if (done === 2) controller.abort();
        },
      }),
      (error: unknown) => error instanceof UpscaleError && error.code === 'upscale_canceled',
    );
    assert.deepEqual(seen, [1, 2]);
    await model.release();
  });

  it('errors carry codes: missing and unloadable models, bad options, bad images', async () => {
    const code = (expected: string) => (error: unknown) => error instanceof UpscaleError && error.code === expected;
    await assert.rejects(UpscalerModel.open(path.join(folder, 'absent.onnx')), code('upscaler_model_missing'));
    await writeFile(path.join(folder, 'junk.onnx'), 'not a model');
    await assert.rejects(UpscalerModel.open(path.join(folder, 'junk.onnx')), code('upscaler_model_invalid'));
    const model = await UpscalerModel.open(await writeUpscalerGraph(path.join(folder, 'x2-errors.onnx'), { scale: 2 }));
    await assert.rejects(upscale(noiseImage(8, 8, 3), model, { tileSize: 16, overlap: 9 }), code('upscale_option_invalid'));
    await assert.rejects(upscale(noiseImage(8, 8, 3), model, { tileSize: 4 }), code('upscale_option_invalid'));
    await assert.rejects(upscale({ width: 8, height: 8, channels: 3, data: new Uint8Array(10) }, model), code('upscale_image_invalid'));
    await model.release();
  });
});
