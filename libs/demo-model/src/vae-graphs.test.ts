import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float32Output, runModel } from '@atelier/onnx-graph/testing';
import { DEMO_SCALING_FACTOR } from './noise-schedule.js';
import { demoTargetLatent, renderDemoTarget } from './render-demo-target.js';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from './vae-graphs.js';

const decoder = buildVaeDecoderGraph().encode().model;
const encoder = buildVaeEncoderGraph().encode().model;

/** [batch, 3, height, width] image made of four flat quadrants per item, values in [-1, 1]. */
function quadrantImage(batch: number, width: number, height: number): Float32Array {
  const colours = [[-1, 0, 1], [1, 1, -1], [0.5, -0.5, 0], [-0.25, 0.75, 1]];
  const image = new Float32Array(batch * 3 * width * height);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const quadrant = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
          image[((b * 3 + c) * height + y) * width + x] = colours[(quadrant + b) % 4][c] * (b === 0 ? 1 : 0.5);
        }
      }
    }
  }
  return image;
}

test('the VAE components declare the I/O of an AutoencoderKL export', async () => {
  for (const [model, inputs, outputs] of [
    [decoder, [['latent_sample', 'float32', ['batch_size', 4, 'latent_height', 'latent_width']]], [['sample', 'float32', ['batch_size', 3, 'height', 'width']]]],
    [encoder, [['sample', 'float32', ['batch_size', 3, 'sample_height', 'sample_width']]], [['latent_parameters', 'float32', ['batch_size', 8, 'h', 'w']]]],
  ] as const) {
    const session = await ort.InferenceSession.create(model);
    try {
      const describe = (m: ort.InferenceSession.ValueMetadata): unknown[] => (m.isTensor ? [m.name, m.type, m.shape] : [m.name]);
      assert.deepEqual(session.inputMetadata.map(describe), inputs);
      assert.deepEqual(session.outputMetadata.map(describe), outputs);
    } finally {
      await session.release();
    }
  }
});

test('decode(encode(image)) reproduces a piecewise-constant image (batch 1 and 2, 64x64 and 128x96)', async () => {
  for (const [width, height] of [[64, 64], [128, 96]]) {
    for (const batch of [1, 2]) {
      const image = quadrantImage(batch, width, height);
      const encoded = await runModel(encoder, { sample: new ort.Tensor('float32', image, [batch, 3, height, width]) });
      const h = height / 8;
      const w = width / 8;
      assert.deepEqual(encoded.latent_parameters.dims, [batch, 8, h, w]);
      const parameters = float32Output(encoded, 'latent_parameters');
      const latent = new Float32Array(batch * 4 * h * w);
      for (let b = 0; b < batch; b++) {
        const item = parameters.subarray(b * 8 * h * w, (b + 1) * 8 * h * w);
        assert.ok(item.subarray(3 * h * w, 4 * h * w).every((v) => v === 0), 'channel 3 mean is 0');
        assert.ok(item.subarray(4 * h * w).every((v) => v === -30), 'log-variance is -30');
        latent.set(item.subarray(0, 4 * h * w), b * 4 * h * w);
      }

      const decoded = await runModel(decoder, { latent_sample: new ort.Tensor('float32', latent, [batch, 4, h, w]) });
      assert.deepEqual(decoded.sample.dims, [batch, 3, height, width]);
      const pixels = float32Output(decoded, 'sample');
      for (let i = 0; i < image.length; i++) {
        const x = i % width;
        const y = Math.floor(i / width) % height;
        // Bilinear upsampling blends only within 4 pixels of a colour edge.
        const nearEdge = Math.abs(x + 0.5 - width / 2) < 4 || Math.abs(y + 0.5 - height / 2) < 4;
        if (!nearEdge) assert.ok(Math.abs(pixels[i] - image[i]) < 1e-6, `pixel ${i}: ${pixels[i]} vs ${image[i]}`);
        else assert.ok(Math.abs(pixels[i] - image[i]) <= 2, `pixel ${i} stays within the colour range`);
      }
    }
  }
});

test('the decoded red-circle target is red in the centre, blue in the corners, and matches the reference', async () => {
  const [width, height] = [128, 96];
  const latent = demoTargetLatent('a red circle on a blue background', width / 8, height / 8).map((v) => v / DEMO_SCALING_FACTOR);
  const decoded = float32Output(await runModel(decoder, { latent_sample: new ort.Tensor('float32', latent, [1, 4, height / 8, width / 8]) }), 'sample');
  const rgbAt = (x: number, y: number): number[] => [0, 1, 2].map((c) => Math.min(Math.max(decoded[(c * height + y) * width + x] / 2 + 0.5, 0), 1));
  const near = (actual: number[], expected: number[]): boolean => actual.every((v, c) => Math.abs(v - expected[c]) < 1e-6);
  assert.ok(near(rgbAt(width / 2, height / 2), [1, 0, 0]), 'centre is red');
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]]) {
    assert.ok(near(rgbAt(x, y), [0, 0, 1]), `corner ${x},${y} is blue`);
  }

  const reference = renderDemoTarget('a red circle on a blue background', width, height);
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) worst = Math.max(worst, Math.abs(rgbAt(x, y)[c] - reference.data[(c * height + y) * width + x]));
  }
  assert.ok(worst < 1e-6, `reference renderer differs by ${worst}`);
});
