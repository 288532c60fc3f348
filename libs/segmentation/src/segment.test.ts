// segment() end to end on ONNX graphs with the real SAM input/output names, shapes and dtypes:
// the coordinate transform at every aspect ratio (a click lands on the right mask pixels), both
// decoder layouts, box prompts, best/all, the embedding cache (encoder runs counted), PNG output.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import {
  OFFICIAL_RADII,
  OFFICIAL_SCORES,
  patternImage,
  TRANSFORMERS_RADII,
  TRANSFORMERS_SCORES,
  writeOfficialDecoderGraph,
  writeSamEncoderGraph,
  writeTransformersDecoderGraph,
} from './testing/index.js';
import { EmbeddingCache } from './embedding-cache.js';
import { SegmentationError } from './errors.js';
import { upscaleMaskLogits } from './mask-postprocess.js';
import { encodeMaskPng } from './mask-png.js';
import { preprocessSize } from './sam-transform.js';
import { segment, type SegmentationMask } from './segment.js';
import { SegmentationModels } from './segmentation-models.js';

/** portrait, landscape, square, tiny, 2048 wide (downscaled), tall and thin. */
const SIZES = [
  { width: 300, height: 500 },
  { width: 640, height: 360 },
  { width: 256, height: 256 },
  { width: 7, height: 5 },
  { width: 2048, height: 600 },
  { width: 90, height: 1500 },
] as const;

/** Clicks as fractions of the image: near each corner, the centre, off-centre. */
const CLICKS = [
  [0.1, 0.1],
  [0.9, 0.15],
  [0.5, 0.5],
  [0.2, 0.85],
  [0.95, 0.95],
] as const;

/**
 * Checks `mask` is the disc of radius `radius` (1024 frame) around `click` mapped into the 1024
 * frame: every pixel whose centre maps more than `margin` inside the circle is white, every one
 * more than `margin` outside is black. Returns how many pixels were checked each way.
 */
function assertDisc(mask: SegmentationMask, click: { x: number; y: number }, radius: number, label: string): { inside: number; outside: number } {
  const resized = preprocessSize(mask);
  const sx = resized.width / mask.width;
  const sy = resized.height / mask.height;
  const margin = 3;
  let inside = 0;
  let outside = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      const distance = Math.hypot((x + 0.5) * sx - click.x * sx, (y + 0.5) * sy - click.y * sy);
      const value = mask.data[y * mask.width + x];
      if (distance < radius - margin) {
        assert.equal(value, 255, `${label}: pixel (${x},${y}) at ${distance.toFixed(1)} should be selected`);
        inside++;
      } else if (distance > radius + margin) {
        assert.equal(value, 0, `${label}: pixel (${x},${y}) at ${distance.toFixed(1)} should not be selected`);
        outside++;
      }
    }
  }
  return { inside, outside };
}

describe('segment (SAM on graphs with the real layouts)', () => {
  let dir: string;
  let official: SegmentationModels;
  let transformers: SegmentationModels;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sam-'));
    await writeSamEncoderGraph(path.join(dir, 'official', 'encoder.onnx'), { inputName: 'x' });
    await writeOfficialDecoderGraph(path.join(dir, 'official', 'decoder.onnx'));
    await writeSamEncoderGraph(path.join(dir, 'slimsam', 'onnx', 'vision_encoder.onnx'), { inputName: 'pixel_values', positional: true });
    await writeTransformersDecoderGraph(path.join(dir, 'slimsam', 'onnx', 'prompt_encoder_mask_decoder.onnx'), { positional: true });
    official = await SegmentationModels.fromFolder('sam-vit-b', path.join(dir, 'official'));
    transformers = await SegmentationModels.fromFolder('slimsam-77', path.join(dir, 'slimsam'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const layout of ['official', 'transformers'] as const) {
    it(`${layout} layout: a click selects the disc around it at every aspect ratio`, async () => {
      const models = layout === 'official' ? official : transformers;
      // One click (+ padding): SAM's answer is the best multimask candidate, radius 120 in both graphs.
      const radius = layout === 'official' ? OFFICIAL_RADII[2] : TRANSFORMERS_RADII[1];
      for (const size of SIZES) {
        const image = patternImage(size.width, size.height);
        let inside = 0;
        let outside = 0;
        for (const [fx, fy] of CLICKS) {
          const click = { x: Math.round(fx * (size.width - 1)), y: Math.round(fy * (size.height - 1)) };
          const result = await segment(image, { points: [click] }, models);
          assert.equal(result.layout, layout);
          assert.equal(result.masks.length, 1);
          const [mask] = result.masks;
          assert.deepEqual([mask.width, mask.height], [size.width, size.height]);
          assert.equal(mask.score, Math.fround(0.9));
          assert.equal(mask.data[click.y * size.width + click.x], 255, `${size.width}x${size.height}: the clicked pixel is selected`);
          const counts = assertDisc(mask, click, radius, `${layout} ${size.width}x${size.height} click (${click.x},${click.y})`);
          inside += counts.inside;
          outside += counts.outside;
        }
        assert.ok(inside > 0 && outside > 0, `${size.width}x${size.height}: checked ${inside} selected and ${outside} unselected pixels`);
      }
    });
  }

  it('official layout: output "all" gives the three multimask candidates in order, with their scores', async () => {
    const image = patternImage(400, 300);
    const result = await segment(image, { points: [{ x: 200, y: 150 }] }, official, { output: 'all' });
    assert.deepEqual(result.masks.map((mask) => mask.score), OFFICIAL_SCORES.slice(1).map((score) => Math.fround(score)));
    result.masks.forEach((mask, index) => assertDisc(mask, { x: 200, y: 150 }, OFFICIAL_RADII[index + 1], `candidate ${index + 1}`));
  });

  it('official layout: with two clicks SAM answers with the single-mask output', async () => {
    const result = await segment(patternImage(400, 300), { points: [{ x: 100, y: 100 }, { x: 300, y: 200, label: 'negative' }] }, official);
    assert.equal(result.masks[0].score, Math.fround(OFFICIAL_SCORES[0]));
    assertDisc(result.masks[0], { x: 100, y: 100 }, OFFICIAL_RADII[0], 'two clicks');
  });

  it('official layout: a box travels as its corners (the graph draws around the first, the top-left one)', async () => {
    const box = { x0: 60, y0: 40, x1: 350, y1: 260 };
    const result = await segment(patternImage(400, 300), { boxes: [box] }, official);
    assertDisc(result.masks[0], { x: box.x0, y: box.y0 }, OFFICIAL_RADII[2], 'box');
  });

  it('transformers layout: output "all" gives its three masks; boxes are refused before the encoder runs', async () => {
    const result = await segment(patternImage(320, 200), { points: [{ x: 160, y: 100 }] }, transformers, { output: 'all' });
    assert.deepEqual(result.masks.map((mask) => mask.score), TRANSFORMERS_SCORES.map((score) => Math.fround(score)));
    result.masks.forEach((mask, index) => assertDisc(mask, { x: 160, y: 100 }, TRANSFORMERS_RADII[index], `mask ${index}`));
    const fresh = await SegmentationModels.fromFolder('slimsam-77', path.join(dir, 'slimsam'));
    await assert.rejects(segment(patternImage(32, 32), { boxes: [{ x0: 1, y0: 1, x1: 9, y1: 9 }] }, fresh), (error: unknown) => {
      assert.ok(error instanceof SegmentationError);
      assert.equal(error.code, 'unsupported_segmentation_prompt');
      assert.equal(error.field, 'prompts.boxes');
      return true;
    });
    assert.equal(await fresh.encoderRuns(), 0);
  });

  it('the official graph post-processes its masks as our port does (ONNX Resize = our bilinear)', async () => {
    const session = await ort.InferenceSession.create(path.join(dir, 'official', 'decoder.onnx'));
    for (const size of [{ width: 300, height: 500 }, { width: 7, height: 5 }, { width: 2048, height: 600 }]) {
      const outputs = await session.run({
        image_embeddings: new ort.Tensor('float32', new Float32Array(256 * 64 * 64), [1, 256, 64, 64]),
        point_coords: new ort.Tensor('float32', Float32Array.of(300, 200, 0, 0), [1, 2, 2]),
        point_labels: new ort.Tensor('float32', Float32Array.of(1, -1), [1, 2]),
        mask_input: new ort.Tensor('float32', new Float32Array(256 * 256), [1, 1, 256, 256]),
        has_mask_input: new ort.Tensor('float32', Float32Array.of(0), [1]),
        orig_im_size: new ort.Tensor('float32', Float32Array.of(size.height, size.width), [2]),
      });
      const masks = outputs.masks.data as Float32Array;
      const lowRes = outputs.low_res_masks.data as Float32Array;
      const plane = size.width * size.height;
      for (let candidate = 0; candidate < 4; candidate++) {
        const ours = upscaleMaskLogits({ width: 256, height: 256, data: lowRes.subarray(candidate * 65536, (candidate + 1) * 65536) }, size);
        let worst = 0;
        for (let i = 0; i < plane; i++) worst = Math.max(worst, Math.abs(ours.data[i] - masks[candidate * plane + i]));
        assert.ok(worst < 1e-3, `${size.width}x${size.height} candidate ${candidate}: differs by ${worst}`);
      }
    }
  });

  it('a second click on the same image runs only the decoder (encoder runs counted)', async () => {
    const cache = new EmbeddingCache();
    const models = await SegmentationModels.fromFolder('sam-vit-b', path.join(dir, 'official'), cache);
    const image = patternImage(333, 222);
    const first = await segment(image, { points: [{ x: 10, y: 10 }] }, models);
    const second = await segment(patternImage(333, 222), { points: [{ x: 300, y: 200 }] }, models);
    assert.deepEqual([first.embeddingsCached, second.embeddingsCached], [false, true]);
    assert.equal(await models.encoderRuns(), 1);
    // The same pixels as a PNG decode to the same hash.
    const png = await sharp(Buffer.from(image.data), { raw: { width: 333, height: 222, channels: 3 } }).png().toBuffer();
    assert.equal((await segment(png, { points: [{ x: 50, y: 50 }] }, models)).embeddingsCached, true);
    assert.equal(await models.encoderRuns(), 1);
    // Another image, and the same image under another model id sharing the cache, each encode once.
    await segment(patternImage(222, 333), { points: [{ x: 5, y: 5 }] }, models);
    assert.equal(await models.encoderRuns(), 2);
    const other = await SegmentationModels.fromFolder('mobile-sam', path.join(dir, 'official'), cache);
    assert.equal((await segment(image, { points: [{ x: 10, y: 10 }] }, other)).embeddingsCached, false);
    assert.equal(await other.encoderRuns(), 1);
    assert.equal(cache.size, 3);
    // Cached embeddings give the same mask as fresh ones.
    const again = await segment(image, { points: [{ x: 10, y: 10 }] }, models);
    assert.deepEqual(again.masks[0].data, first.masks[0].data);
    assert.equal(await models.encoderRuns(), 2);
  });

  it('encodes masks as greyscale PNGs at the original size, white selected', async () => {
    const result = await segment(patternImage(120, 80), { points: [{ x: 60, y: 40 }] }, official);
    const png = await encodeMaskPng(result.masks[0]);
    assert.equal((await sharp(png).metadata()).channels, 1);
    const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [120, 80, 1]);
    assert.deepEqual(new Uint8Array(data), result.masks[0].data);
    assert.equal(data[40 * 120 + 60], 255);
    assert.equal(data[0], 0);
  });

  it('reports missing and unusable models and unreadable images by code and field', async () => {
    await assert.rejects(SegmentationModels.fromFolder('none', path.join(dir, 'nowhere')), { code: 'missing_segmentation_model', field: 'models.encoder' });
    const wrong = new SegmentationModels({ id: 'wrong', encoder: path.join(dir, 'official', 'encoder.onnx'), decoder: path.join(dir, 'official', 'encoder.onnx') });
    await assert.rejects(segment(patternImage(16, 16), { points: [{ x: 1, y: 1 }] }, wrong), { code: 'invalid_segmentation_model', field: 'models.decoder' });
    const missing = new SegmentationModels({ id: 'gone', encoder: path.join(dir, 'gone.onnx'), decoder: path.join(dir, 'official', 'decoder.onnx') });
    await assert.rejects(segment(patternImage(16, 16), { points: [{ x: 1, y: 1 }] }, missing), { code: 'missing_segmentation_model', field: 'models.encoder' });
    await assert.rejects(segment(Buffer.from('not an image'), { points: [{ x: 1, y: 1 }] }, official), { code: 'invalid_segmentation_image', field: 'image' });
    await assert.rejects(segment(patternImage(16, 16), { points: [{ x: 17, y: 1 }] }, official), { code: 'invalid_segmentation_prompt', field: 'prompts.points[0]' });
  });
});
