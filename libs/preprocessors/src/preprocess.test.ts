// The single entry, with the ONNX preprocessors run on small graphs that have the real exports'
// names and shapes (testing/preprocessor-graphs.ts), and its errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PreprocessError } from './errors.js';
import { pixelImage, type PixelImage } from './image/pixel-image.js';
import { BODY_COLOURS } from './openpose/body-pose.js';
import { preprocess } from './preprocess.js';
import { PreprocessorModels } from './preprocessor-models.js';
import { readFixturePng, writeDepthGraph, writeDwposeGraph, writeHedGraph, writePidinetGraph, writeYoloxGraph } from './testing/index.js';

let root: string;
const folder = (name: string): string => path.join(root, name);

/** A horizontal ramp in the red channel only (green, blue 0). */
function redRamp(width: number, height: number): PixelImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[(y * width + x) * 3] = Math.round((255 * x) / (width - 1));
  return pixelImage(width, height, 3, data);
}

function flat(width: number, height: number, rgb: [number, number, number]): PixelImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return pixelImage(width, height, 3, data);
}

async function expectError(promise: Promise<unknown>, code: string, field: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PreprocessError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    return true;
  });
}

/** COCO keypoints of one standing person, in pixels of a 512x512 image (chosen on whole SimCC bins). */
const PERSON: [number, number][] = [
  [256, 141], [251, 136], [261, 136], [246, 141], [266, 141], [226, 181], [286, 181], [211, 231], [301, 231],
  [206, 276], [306, 276], [236, 281], [276, 281], [236, 341], [276, 341], [236, 401], [276, 401],
];

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'atelier-preprocessors-'));
  await writeDepthGraph(folder('depth-anything'), { inputName: 'pixel_values', outputName: 'predicted_depth' });
  await writeDepthGraph(folder('depth-fixed'), { inputName: 'image', outputName: 'depth', keepChannel: true, fixed: { width: 518, height: 518 } });
  await writeDepthGraph(folder('midas'), { inputName: 'image', outputName: 'depth', modelType: 'dpt' });
  await writeHedGraph(folder('hed'));
  await writePidinetGraph(folder('pidinet'));

  // YOLOX: one person at 192..320 x 128..384 of a 512 image (640 input, ratio 1.25).
  const head = new Float32Array(8400 * 85);
  head.set([0, 0, Math.log(5), Math.log(10), 0.9, 0.9], (8000 + 10 * 20 + 10) * 85);
  await writeYoloxGraph(path.join(folder('dwpose'), 'yolox_l.onnx'), head);
  // The crop is centre 256,256, size 240x320: image x = 136 + bin_x * 5/12, y = 96 + bin_y * 5/12.
  const simccX = new Float32Array(133 * 576);
  const simccY = new Float32Array(133 * 768);
  PERSON.forEach(([x, y], k) => {
    simccX[k * 576 + ((x - 136) / 5) * 12] = 0.9;
    simccY[k * 768 + ((y - 96) / 5) * 12] = k === 3 ? 0.2 : 0.8; // the left ear is unsure
  });
  // one face landmark (COCO-WholeBody 53) at 256,151, on the neck–nose limb
  simccX[53 * 576 + ((256 - 136) / 5) * 12] = 0.9;
  simccY[53 * 768 + ((151 - 96) / 5) * 12] = 0.8;
  await writeDwposeGraph(path.join(folder('dwpose'), 'dw-ll_ucoco_384.onnx'), simccX, simccY);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('preprocess', () => {
  it('canny: detect at 512, thresholds applied, the map at the generation size', async () => {
    const photo = await readFixturePng('canny/street.png'); // 256x192 → detected at 704x512 (Lanczos-4)
    const result = await preprocess('canny', photo, { width: 512, height: 384, low_threshold: 50, high_threshold: 150 }, new PreprocessorModels({}));
    assert.equal(result.image.width, 512);
    assert.equal(result.image.height, 384);
    assert.equal(result.metadata.detectWidth, 704);
    assert.equal(result.metadata.detectHeight, 512);
    const edges = result.image.data.filter((v) => v > 127).length / result.image.data.length;
    console.log(`preprocess canny street → 512x384: ${(edges * 100).toFixed(2)}% edge values`);
    assert.ok(edges > 0.01 && edges < 0.5);
    assert.equal(result.rgb.data[0], result.image.data[0] / 255);
  });

  it('none: the image itself, resized to the generation size', async () => {
    const result = await preprocess('none', flat(100, 50, [10, 20, 30]), { width: 64, height: 64 }, new PreprocessorModels({}));
    assert.equal(result.image.width, 64);
    assert.deepEqual(Array.from(result.image.data.subarray(0, 3)), [10, 20, 30]);
  });

  it('depth (Depth Anything layout): pixel_values → predicted_depth, min-max to 0..255, near = bright', async () => {
    const models = new PreprocessorModels({ depth: folder('depth-anything') });
    const result = await preprocess('depth', redRamp(512, 512), { width: 512, height: 512 }, models);
    assert.equal(result.metadata.family, 'depth-anything');
    const row = Array.from({ length: 512 }, (_, x) => result.image.data[(256 * 512 + x) * 3]);
    assert.equal(Math.min(...row), 0);
    assert.equal(Math.max(...row), 255);
    for (let x = 1; x < 512; x++) assert.ok(row[x] >= row[x - 1], `column ${x}`);
    assert.equal(result.image.data[0], result.image.data[1]); // grey: HWC3
  });

  it('depth with a fixed 518x518 input and a [1,1,H,W] `depth` output, and MiDaS from config.json', async () => {
    const fixed = await preprocess('depth', redRamp(300, 200), { width: 384, height: 256 }, new PreprocessorModels({ depth: folder('depth-fixed') }));
    assert.equal(fixed.image.width, 384);
    assert.equal(fixed.image.height, 256);
    const midas = await preprocess('depth', redRamp(512, 512), { width: 512, height: 512 }, new PreprocessorModels({ depth: folder('midas') }));
    assert.equal(midas.metadata.family, 'midas');
    // MiDaS predicts at the detect size: the mean of (r/127.5 - 1, -1, -1) is linear in r, so the
    // map is the ramp itself: column x holds trunc(255 * x / 511) up to rounding of the ramp.
    for (const x of [0, 100, 300, 511]) assert.ok(Math.abs(midas.image.data[(10 * 512 + x) * 3] - (255 * x) / 511) <= 1.01, `column ${x}`);
  });

  it('softedge HED: RGB 0..255 in, five sides fused by mean + sigmoid', async () => {
    const models = new PreprocessorModels({ softedge: folder('hed') });
    // R = 160 → every side (160 - 128) / 32 = 1 → sigmoid 0.731 → 186; had BGR been fed, B = 0 → 4
    const result = await preprocess('softedge', flat(512, 512, [160, 0, 0]), { width: 512, height: 512 }, models);
    assert.equal(result.metadata.family, 'hed');
    assert.ok(result.image.data.every((v) => v === 186));
  });

  it('softedge PiDiNet: BGR / 255 in, the last output is the edge; safe quantises', async () => {
    const models = new PreprocessorModels({ softedge: folder('pidinet') });
    const result = await preprocess('softedge', flat(256, 256, [0, 0, 255]), { width: 256, height: 256, detect_resolution: 256 }, models);
    assert.ok(result.image.data.every((v) => v === 186)); // sigmoid(2 * 1 - 1)
    const safe = await preprocess('softedge', flat(256, 256, [0, 0, 255]), { width: 256, height: 256, detect_resolution: 256, safe: true }, models);
    assert.ok(safe.image.data.every((v) => v === 255));
  });

  it('scribble: soft edges thinned, blurred and thresholded to black and white', async () => {
    const models = new PreprocessorModels({ softedge: folder('hed') });
    const image = flat(512, 512, [0, 0, 0]);
    for (let y = 0; y < 512; y++) for (let x = 250; x < 262; x++) image.data[(y * 512 + x) * 3] = 255;
    const result = await preprocess('scribble', image, { width: 512, height: 512 }, models);
    assert.ok(result.image.data.every((v) => v === 0 || v === 255));
    const row = Array.from({ length: 512 }, (_, x) => result.image.data[(256 * 512 + x) * 3]);
    assert.equal(row[0], 0);
    assert.equal(row[256], 255);
  });

  it('openpose (DWPose): YOLOX box → crop → SimCC → OpenPose body in ControlNet colours', async () => {
    const models = new PreprocessorModels({ openpose: folder('dwpose') });
    const result = await preprocess('openpose', flat(512, 512, [90, 90, 90]), { width: 512, height: 512 }, models);
    assert.deepEqual(result.metadata.people, [{ keypoints: 17 }]);
    const at = (x: number, y: number): number[] => Array.from(result.image.data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3));
    assert.deepEqual(at(256, 141), BODY_COLOURS[0]); // nose
    assert.deepEqual(at(256, 181), BODY_COLOURS[1]); // neck: mean of the shoulders
    assert.deepEqual(at(286, 181), BODY_COLOURS[2]); // right shoulder ← COCO 6
    assert.deepEqual(at(226, 181), BODY_COLOURS[5]); // left shoulder ← COCO 5
    assert.deepEqual(at(276, 401), BODY_COLOURS[10]); // right ankle ← COCO 16
    assert.deepEqual(at(246, 141), [0, 0, 0]); // the unsure left ear is not drawn
    assert.deepEqual(at(256, 161), [0, 0, 153]); // the neck–nose limb (limb 12, pair 2–1): colour 12 [0,0,255] at 60%
    assert.deepEqual(at(256, 151), [0, 0, 153]); // body only: no face landmarks

    const withFace = await preprocess('openpose', flat(512, 512, [90, 90, 90]), { width: 512, height: 512, include_face: true }, models);
    assert.deepEqual(withFace.metadata.people, [{ keypoints: 17, faceLandmarks: 1 }]);
    const face = (x: number, y: number): number[] => Array.from(withFace.image.data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3));
    assert.deepEqual(face(256, 151), [255, 255, 255]);
    // the crop mapping (k / 288 * 240 + 256 - 120) lands a hair below the whole pixel in floating
    // point and int() truncates, as in the reference, so only the disc's middle is asserted
    assert.deepEqual(face(256, 152), [255, 255, 255]);
    assert.deepEqual(face(253, 151), [255, 255, 255]); // radius 3
    assert.deepEqual(face(256, 156), [0, 0, 153]);
  });

  it('errors carry codes naming the field', async () => {
    const models = new PreprocessorModels({ softedge: folder('nowhere') });
    const image = flat(64, 64, [0, 0, 0]);
    await expectError(preprocess('lineart', image, { width: 64, height: 64 }, models), 'unknown_preprocessor', 'preprocessor');
    await expectError(preprocess('depth', image, { width: 64, height: 64 }, models), 'missing_preprocessor_model', 'models.depth');
    await expectError(preprocess('softedge', image, { width: 64, height: 64 }, models), 'missing_preprocessor_model', 'models.softedge');
    await expectError(preprocess('canny', image, { width: 64, height: 64, low_threshold: 200, high_threshold: 100 }, models), 'invalid_preprocessor_option', 'options.low_threshold');
    await expectError(preprocess('canny', image, { width: 64, height: 64, high_threshold: -1 }, models), 'invalid_preprocessor_option', 'options.high_threshold');
    await expectError(preprocess('canny', image, { height: 64 }, models), 'invalid_preprocessor_option', 'options.width');
    await expectError(preprocess('canny', image, { width: 64, height: 64, sigma: 2 }, models), 'invalid_preprocessor_option', 'options.sigma');
    await expectError(preprocess('canny', pixelImage(0, 0, 3), { width: 64, height: 64 }, models), 'invalid_control_image', 'image');
    await expectError(preprocess('canny', { width: 4, height: 4, data: new Float32Array(5) }, { width: 64, height: 64 }, models), 'invalid_control_image', 'image');
    const broken = folder('broken');
    await writeDepthGraph(broken, { inputName: 'image', outputName: 'depth' });
    await writeFile(path.join(broken, 'model.onnx'), 'not onnx');
    await expectError(preprocess('depth', image, { width: 64, height: 64 }, new PreprocessorModels({ depth: broken })), 'invalid_preprocessor_model', 'models.depth');
  });
});
