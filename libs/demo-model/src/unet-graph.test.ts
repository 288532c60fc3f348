import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { DemoConditioning } from './conditioning.js';
import type { DemoPredictionType } from './denoiser-graph.js';
import { demoTargetLatent } from './render-demo-target.js';
import { hiddenStatesFor } from './testing/demo-inputs.js';
import { assertRecovers, noisySample, recoverX0 } from './testing/denoiser-checks.js';
import { buildDemoUnetGraph } from './unet-graph.js';
import { DEMO_SHAPES } from './vocabulary.js';

const HIDDEN = 24;

const RED_CIRCLE_ON_BLUE: DemoConditioning = { shapes: ['circle'], shapeColour: [1, 0, 0], backgroundColour: [0, 0, 1] };
const GREEN_TRIANGLE: DemoConditioning = { shapes: ['triangle'], shapeColour: [0, 1, 0], backgroundColour: [0.5, 0.5, 0.5] };

async function withUnet<T>(predictionType: DemoPredictionType, use: (session: ort.InferenceSession) => Promise<T>): Promise<T> {
  const session = await ort.InferenceSession.create(buildDemoUnetGraph({ predictionType, hiddenSize: HIDDEN }).encode().model);
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

async function denoise(
  session: ort.InferenceSession,
  conditionings: readonly DemoConditioning[],
  latentWidth: number,
  latentHeight: number,
  timestep: number,
  seed: number,
): Promise<{ sample: Float32Array; output: Float32Array; target: Float32Array }> {
  const target = new Float32Array(conditionings.length * 4 * latentWidth * latentHeight);
  conditionings.forEach((c, b) => target.set(demoTargetLatent(c, latentWidth, latentHeight), b * 4 * latentWidth * latentHeight));
  const sample = noisySample(target, timestep, seed);
  const dims = [conditionings.length, 4, latentHeight, latentWidth];
  const results = await session.run({
    sample: new ort.Tensor('float32', sample, dims),
    timestep: new ort.Tensor('float32', Float32Array.of(timestep), []),
    encoder_hidden_states: hiddenStatesFor(conditionings, HIDDEN),
  });
  const out = results.out_sample;
  assert.deepEqual(out.dims, dims);
  const output = (out.data as Float32Array).slice();
  out.dispose();
  return { sample, output, target };
}

test('the UNet declares the I/O of a UNet2DConditionModel export', async () => {
  await withUnet('epsilon', async (session) => {
    const describe = (m: ort.InferenceSession.ValueMetadata): unknown[] => (m.isTensor ? [m.name, m.type, m.shape] : [m.name]);
    assert.deepEqual(session.inputMetadata.map(describe), [
      ['sample', 'float32', ['batch_size', 4, 'height', 'width']],
      ['timestep', 'float32', []],
      ['encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', HIDDEN]],
    ]);
    assert.deepEqual(session.outputMetadata.map(describe), [['out_sample', 'float32', ['batch_size', 4, 'height', 'width']]]);
  });
});

for (const predictionType of ['epsilon', 'v_prediction'] as const) {
  test(`${predictionType}: the output recovers the prompt's target at integer and fractional timesteps`, async () => {
    await withUnet(predictionType, async (session) => {
      let seed = 1;
      for (const [latentWidth, latentHeight] of [[8, 8], [16, 12]]) {
        for (const batch of [[RED_CIRCLE_ON_BLUE], [RED_CIRCLE_ON_BLUE, GREEN_TRIANGLE]]) {
          for (const timestep of [999, 500.5, 1, 0, 250.25, 998.75]) {
            const { sample, output, target } = await denoise(session, batch, latentWidth, latentHeight, timestep, seed++);
            const label = `${latentWidth}x${latentHeight} batch ${batch.length} t=${timestep}`;
            assertRecovers(recoverX0(sample, output, timestep, predictionType), target, label);
          }
        }
      }
    });
  });
}

test('every shape mask matches the reference geometry, on a non-square grid', async () => {
  const conditionings = DEMO_SHAPES.map((shape): DemoConditioning => ({ shapes: [shape], shapeColour: [1, 1, 1], backgroundColour: [0, 0, 0] }));
  await withUnet('v_prediction', async (session) => {
    const { sample, output, target } = await denoise(session, conditionings, 20, 14, 400, 99);
    assertRecovers(recoverX0(sample, output, 400, 'v_prediction'), target, 'all shapes');
    const plane = 20 * 14;
    conditionings.forEach((_, b) => {
      const red = target.subarray(b * 4 * plane, b * 4 * plane + plane);
      const inside = red.filter((v) => v > 0).length;
      assert.ok(inside > plane / 20 && inside < plane, `${DEMO_SHAPES[b]} covers part of the canvas (${inside}/${plane})`);
    });
  });
});
