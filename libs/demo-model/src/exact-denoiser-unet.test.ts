import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { NEUTRAL_CONDITIONING } from './conditioning.js';
import type { DemoPredictionType } from './denoiser-graph.js';
import { buildExactDenoiserUnet } from './exact-denoiser-unet.js';
import { hiddenStatesFor } from './testing/demo-inputs.js';
import { assertRecovers, noisySample, recoverX0 } from './testing/denoiser-checks.js';
import { eulerSample } from './testing/euler.js';
import { seededNormal } from './testing/seeded-random.js';

const [HEIGHT, WIDTH] = [6, 10];

function randomTarget(seed: number): Float32Array {
  const normal = seededNormal(seed);
  return Float32Array.from({ length: 4 * HEIGHT * WIDTH }, () => 0.5 * normal());
}

async function withSession<T>(predictionType: DemoPredictionType, target: Float32Array, use: (run: (x: Float32Array, t: number) => Promise<Float32Array>) => Promise<T>): Promise<T> {
  const session = await ort.InferenceSession.create(buildExactDenoiserUnet({ predictionType, target, height: HEIGHT, width: WIDTH, hiddenSize: 16 }));
  const run = async (x: Float32Array, t: number): Promise<Float32Array> => {
    const batch = x.length / target.length;
    const results = await session.run({
      sample: new ort.Tensor('float32', x, [batch, 4, HEIGHT, WIDTH]),
      timestep: new ort.Tensor('float32', Float32Array.of(t), []),
      encoder_hidden_states: hiddenStatesFor(Array.from({ length: batch }, () => NEUTRAL_CONDITIONING), 16),
    });
    const out = (results.out_sample.data as Float32Array).slice();
    results.out_sample.dispose();
    return out;
  };
  try {
    return await use(run);
  } finally {
    await session.release();
  }
}

for (const predictionType of ['epsilon', 'v_prediction'] as const) {
  test(`${predictionType}: the fixed-target UNet recovers its target for any batch and timestep`, async () => {
    const target = randomTarget(7);
    await withSession(predictionType, target, async (run) => {
      for (const [t, seed] of [[999, 1], [500.5, 2], [1, 3], [123.75, 4]]) {
        const batchTarget = new Float32Array(2 * target.length);
        batchTarget.set(target);
        batchTarget.set(target, target.length);
        const x = noisySample(batchTarget, t, seed);
        assertRecovers(recoverX0(x, await run(x, t), t, predictionType), batchTarget, `t=${t}`);
      }
    });
  });

  test(`${predictionType}: an Euler sampler on Karras sigmas (fractional timesteps) lands on the target`, async () => {
    const target = randomTarget(11);
    const normal = seededNormal(5);
    const noise = Float64Array.from(target, () => normal());
    const x = await withSession(predictionType, target, (run) => eulerSample(noise, 8, predictionType, run));
    assertRecovers(x, target, 'after sampling');
  });
}
