import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { demoTargetLatent, renderDemoTarget } from '../render-demo-target.js';
import { simpleInputIds } from '../testing/demo-inputs.js';
import { alphaSigma, assertRecovers, noisySample, recoverX0 } from '../testing/denoiser-checks.js';
import { seededNormal } from '../testing/seeded-random.js';
import { float32Tensor, maxAbsDifference, runFloat32 } from '../testing/session-io.js';
import { findClipTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { buildVaeDecoderGraph } from '../vae-graphs.js';
import { guidanceScaleEmbedding, LCM_TIME_COND_DIM } from './guidance-embedding.js';
import { buildLcmUnetGraph } from './lcm-unet.js';
import { buildVariantTextEncoderGraph } from './text-encoder-variants.js';

const PROMPT = 'a white triangle on a purple background';
const [WIDTH, HEIGHT] = [48, 64];
const [LATENT_WIDTH, LATENT_HEIGHT] = [WIDTH / 8, HEIGHT / 8];
const PLANE = 4 * LATENT_WIDTH * LATENT_HEIGHT;

let unet: ort.InferenceSession;
let decoder: ort.InferenceSession;
let hidden: ort.Tensor;

before(async () => {
  const vocab = await readVocab(findClipTokenizerAssets());
  const textEncoder = await ort.InferenceSession.create(buildVariantTextEncoderGraph({ vocab, hiddenSize: 768, layout: 'clip' }).encode().model);
  const encoded = await runFloat32(textEncoder, { input_ids: new ort.Tensor('int64', simpleInputIds(vocab, PROMPT), [1, 77]) });
  await textEncoder.release();
  hidden = float32Tensor(encoded.last_hidden_state, [1, 77, 768]);
  [unet, decoder] = await Promise.all([buildLcmUnetGraph(768), buildVaeDecoderGraph()].map((graph) => ort.InferenceSession.create(graph.encode().model)));
});

after(async () => {
  await Promise.all([unet.release(), decoder.release()]);
});

const timestepCond = (guidanceScale: number): ort.Tensor => float32Tensor(guidanceScaleEmbedding(guidanceScale), [1, LCM_TIME_COND_DIM]);

async function predict(sample: Float32Array, timestep: number, cond: ort.Tensor): Promise<Float32Array> {
  const out = await runFloat32(unet, {
    sample: float32Tensor(sample, [1, 4, LATENT_HEIGHT, LATENT_WIDTH]),
    timestep: float32Tensor([timestep], []),
    encoder_hidden_states: hidden,
    timestep_cond: cond,
  });
  return out.out_sample;
}

test('guidanceScaleEmbedding is diffusers\' [sin | cos] of 1000·(g − 1) over 128 frequencies from 1 to 1e-4', () => {
  const embedding = guidanceScaleEmbedding(8.5);
  assert.equal(embedding.length, 256);
  assert.ok(Math.abs(embedding[0] - Math.sin(7500)) < 1e-3);
  assert.ok(Math.abs(embedding[127] - Math.sin(0.75)) < 1e-6);
  assert.ok(Math.abs(embedding[255] - Math.cos(0.75)) < 1e-6);
  assert.deepEqual(Array.from(guidanceScaleEmbedding(1).subarray(0, 128)), new Array<number>(128).fill(0));
  assert.throws(() => guidanceScaleEmbedding(2, 7), /even number/);
});

test('LCM UNet: exact denoiser of g · target, g decoded from timestep_cond', async () => {
  const target = demoTargetLatent(PROMPT, LATENT_WIDTH, LATENT_HEIGHT);
  for (const guidance of [1, 2, 8.5]) {
    const guided = target.map((v) => v * guidance);
    for (const timestep of [999, 499, 19]) {
      const sample = noisySample(guided, timestep, timestep);
      const out = await predict(sample, timestep, timestepCond(guidance));
      assertRecovers(recoverX0(sample, out, timestep, 'epsilon'), guided, `g=${guidance} t=${timestep}`);
    }
  }
  const zeros = await predict(new Float32Array(PLANE), 500, float32Tensor(new Float32Array(LCM_TIME_COND_DIM), [1, LCM_TIME_COND_DIM]));
  assert.ok(zeros.every(Number.isNaN), 'an all-zero timestep_cond is not a guidance embedding');
});

/** diffusers' LCMScheduler (leading, 50 original steps, timestep_scaling 10, set_alpha_to_one) for `steps` steps. */
async function lcmSample(steps: number, guidance: number): Promise<Float32Array> {
  const skipping = Math.floor(50 / steps);
  const timesteps = Array.from({ length: steps }, (_, i) => 999 - i * skipping * 20);
  const normal = seededNormal(5);
  let sample = Float32Array.from({ length: PLANE }, () => normal());
  let denoised = sample;
  for (const [i, t] of timesteps.entries()) {
    const { a, b } = alphaSigma(t);
    const epsilon = await predict(sample, t, timestepCond(guidance));
    const scaled = 10 * t;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const current = sample;
    denoised = current.map((x, j) => cOut * ((x - b * epsilon[j]) / a) + cSkip * x);
    if (i === steps - 1) break;
    const next = alphaSigma(timesteps[i + 1]);
    sample = denoised.map((x0) => next.a * x0 + next.b * normal());
  }
  return denoised;
}

test('an LCM sampling run (4 steps, no CFG batch) paints renderDemoTarget at the embedded guidance scale', async () => {
  const guidance = 8;
  const latent = await lcmSample(4, guidance);
  const decoded = await runFloat32(decoder, { latent_sample: float32Tensor(latent.map((v) => v / DEMO_SCALING_FACTOR), [1, 4, LATENT_HEIGHT, LATENT_WIDTH]) });
  const image = decoded.sample.map((v) => Math.min(Math.max(v / 2 + 0.5, 0), 1));
  const reference = renderDemoTarget(PROMPT, WIDTH, HEIGHT, { guidanceScale: guidance });
  assert.ok(maxAbsDifference(image, reference.data) < 1e-4, `largest pixel difference ${maxAbsDifference(image, reference.data)}`);
  const unguided = renderDemoTarget(PROMPT, WIDTH, HEIGHT);
  assert.ok(maxAbsDifference(reference.data, unguided.data) > 0.05, 'guidance sharpens the shape edges, so the check sees g');
});
