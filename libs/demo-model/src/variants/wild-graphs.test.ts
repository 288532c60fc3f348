import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float32Output, runModel } from '@atelier/onnx-graph/testing';
import { demoTargetLatent } from '../render-demo-target.js';
import { hiddenStatesFor } from '../testing/demo-inputs.js';
import { assertRecovers, noisySample, recoverX0 } from '../testing/denoiser-checks.js';
import { buildWildUnetGraph, buildWildVaeDecoderGraph, buildWildVaeEncoderGraph } from './wild-graphs.js';
import type { DemoConditioning } from '../conditioning.js';

const ORANGE_SQUARE: DemoConditioning = { shapes: ['square'], shapeColour: [1, 0.5, 0], backgroundColour: [0, 0, 0] };
const CYAN_RING: DemoConditioning = { shapes: ['ring'], shapeColour: [0, 1, 1], backgroundColour: [1, 1, 1] };
const [LATENT_WIDTH, LATENT_HEIGHT] = [10, 8];
const PLANE = 4 * LATENT_WIDTH * LATENT_HEIGHT;

test('wild UNet: int64 timestep [batch], one integer timestep per row (or one for all), exact', async () => {
  const model = buildWildUnetGraph(32).encode().model;
  const target = new Float32Array(2 * PLANE);
  target.set(demoTargetLatent(ORANGE_SQUARE, LATENT_WIDTH, LATENT_HEIGHT), 0);
  target.set(demoTargetLatent(CYAN_RING, LATENT_WIDTH, LATENT_HEIGHT), PLANE);
  for (const timesteps of [[981, 41], [500, 500], [7]]) {
    const rows = [0, 1].map((b) => timesteps[Math.min(b, timesteps.length - 1)]);
    const sample = new Float32Array(2 * PLANE);
    rows.forEach((t, b) => sample.set(noisySample(target.subarray(b * PLANE, (b + 1) * PLANE), t, t + b), b * PLANE));
    const out = await runModel(model, {
      sample: new ort.Tensor('float32', sample, [2, 4, LATENT_HEIGHT, LATENT_WIDTH]),
      timestep: new ort.Tensor('int64', BigInt64Array.from(timesteps.map(BigInt)), [timesteps.length]),
      encoder_hidden_states: hiddenStatesFor([ORANGE_SQUARE, CYAN_RING], 32),
    });
    const output = float32Output(out, 'out_sample');
    rows.forEach((t, b) => {
      const rowOf = (values: Float32Array): Float32Array => values.subarray(b * PLANE, (b + 1) * PLANE);
      assertRecovers(recoverX0(rowOf(sample), rowOf(output), t, 'epsilon'), rowOf(target), `timesteps [${timesteps}] row ${b}`);
    });
  }
});

test('wild VAE encoder returns the sampled (mean, unscaled) 4-channel latent the decoder turns back into a flat image', async () => {
  const [width, height] = [24, 16];
  const colour = [0.25, -0.5, 1];
  const image = Float32Array.from({ length: 3 * width * height }, (_, i) => colour[Math.floor(i / (width * height))]);
  const encoded = await runModel(buildWildVaeEncoderGraph().encode().model, { sample: new ort.Tensor('float32', image, [1, 3, height, width]) });
  const latent = float32Output(encoded, 'latent_sample');
  assert.deepEqual(encoded.latent_sample.dims, [1, 4, 2, 3]);
  assert.deepEqual(Array.from(latent), [...colour.flatMap((c) => new Array<number>(6).fill(c)), ...new Array<number>(6).fill(0)]);
  const decoded = await runModel(buildWildVaeDecoderGraph().encode().model, { latent_sample: new ort.Tensor('float32', latent, [1, 4, 2, 3]) });
  assert.deepEqual(Array.from(float32Output(decoded, 'sample')), Array.from(image));
});
