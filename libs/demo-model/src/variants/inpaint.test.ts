import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { demoTargetLatent, renderDemoTarget, type DemoImage } from '../render-demo-target.js';
import { simpleInputIds } from '../testing/demo-inputs.js';
import { assertRecovers, noisySample, recoverX0 } from '../testing/denoiser-checks.js';
import { eulerSample } from '../testing/euler.js';
import { seededNormal } from '../testing/seeded-random.js';
import { float32Tensor, runFloat32 } from '../testing/session-io.js';
import { findClipTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from '../vae-graphs.js';
import { buildInpaintUnetGraph } from './inpaint-unet.js';
import { renderDemoInpaint, type DemoMask } from './render-demo-inpaint.js';
import { buildVariantTextEncoderGraph } from './text-encoder-variants.js';

const PROMPT = 'a red circle on a blue background';
const [WIDTH, HEIGHT] = [64, 48];
const [LATENT_WIDTH, LATENT_HEIGHT] = [WIDTH / 8, HEIGHT / 8];
const LATENT_PLANE = LATENT_WIDTH * LATENT_HEIGHT;

let vocab: Record<string, number>;
let textEncoder: ort.InferenceSession;
let unet: ort.InferenceSession;
let vaeEncoder: ort.InferenceSession;
let vaeDecoder: ort.InferenceSession;

before(async () => {
  vocab = await readVocab(findClipTokenizerAssets());
  [textEncoder, unet, vaeEncoder, vaeDecoder] = await Promise.all(
    [buildVariantTextEncoderGraph({ vocab, hiddenSize: 768, layout: 'clip' }), buildInpaintUnetGraph(768), buildVaeEncoderGraph(), buildVaeDecoderGraph()].map((graph) =>
      ort.InferenceSession.create(graph.encode().model),
    ),
  );
});

after(async () => {
  await Promise.all([textEncoder, unet, vaeEncoder, vaeDecoder].map((session) => session.release()));
});

async function encodePrompts(prompts: readonly string[]): Promise<ort.Tensor> {
  const ids = new BigInt64Array(prompts.length * 77);
  prompts.forEach((prompt, i) => ids.set(simpleInputIds(vocab, prompt), i * 77));
  const out = await runFloat32(textEncoder, { input_ids: new ort.Tensor('int64', ids, [prompts.length, 77]) });
  return float32Tensor(out.last_hidden_state, [prompts.length, 77, 768]);
}

/** [latents (4) | mask (1) | masked-image latents (4)] for one row. */
function nineChannels(latents: ArrayLike<number>, mask: ArrayLike<number>, kept: ArrayLike<number>): Float32Array {
  const out = new Float32Array(9 * LATENT_PLANE);
  out.set(Float32Array.from(latents), 0);
  out.set(Float32Array.from(mask), 4 * LATENT_PLANE);
  out.set(Float32Array.from(kept), 5 * LATENT_PLANE);
  return out;
}

test('inpaint UNet: x0 is the prompt target where the mask is 1 and the masked-image latents where it is 0', async () => {
  const hidden = await encodePrompts([PROMPT]);
  const target = demoTargetLatent(PROMPT, LATENT_WIDTH, LATENT_HEIGHT);
  const normal = seededNormal(3);
  const kept = Float32Array.from({ length: 4 * LATENT_PLANE }, () => DEMO_SCALING_FACTOR * Math.tanh(normal()));
  const masks = {
    binary: Float32Array.from({ length: LATENT_PLANE }, (_, i) => (i % LATENT_WIDTH >= 3 ? 1 : 0)),
    soft: new Float32Array(LATENT_PLANE).fill(0.25),
  };
  for (const [label, mask] of Object.entries(masks)) {
    const expected = target.map((value, i) => mask[i % LATENT_PLANE] * value + (1 - mask[i % LATENT_PLANE]) * kept[i]);
    for (const timestep of [999, 400, 5]) {
      const latents = noisySample(expected, timestep, timestep);
      const out = await runFloat32(unet, {
        sample: float32Tensor(nineChannels(latents, mask, kept), [1, 9, LATENT_HEIGHT, LATENT_WIDTH]),
        timestep: float32Tensor([timestep], []),
        encoder_hidden_states: hidden,
      });
      assertRecovers(recoverX0(latents, out.out_sample, timestep, 'epsilon'), expected, `${label} mask, t=${timestep}`);
    }
  }
});

/** diffusers' StableDiffusionInpaintPipeline with a 9-channel UNet, Euler sampling and CFG, on the demo graphs. */
async function inpaint(image: DemoImage, mask: DemoMask, guidance: number): Promise<Float32Array> {
  const binary = mask.data.map((m) => (m >= 0.5 ? 1 : 0));
  const pixels = WIDTH * HEIGHT;
  const masked = image.data.map((v, i) => (binary[i % pixels] < 0.5 ? 2 * v - 1 : 0));
  const posterior = await runFloat32(vaeEncoder, { sample: float32Tensor(masked, [1, 3, HEIGHT, WIDTH]) });
  const kept = posterior.latent_parameters.slice(0, 4 * LATENT_PLANE).map((v) => v * DEMO_SCALING_FACTOR);
  const latentMask = Float32Array.from({ length: LATENT_PLANE }, (_, i) => binary[Math.floor(i / LATENT_WIDTH) * 8 * WIDTH + (i % LATENT_WIDTH) * 8]);
  const hidden = await encodePrompts(['', PROMPT]);

  const normal = seededNormal(11);
  const noise = Float64Array.from({ length: 4 * LATENT_PLANE }, () => normal());
  const latents = await eulerSample(noise, 10, 'epsilon', async (input, timestep) => {
    const row = nineChannels(input, latentMask, kept);
    const batch = new Float32Array(2 * row.length);
    batch.set(row, 0);
    batch.set(row, row.length);
    const out = (await runFloat32(unet, { sample: float32Tensor(batch, [2, 9, LATENT_HEIGHT, LATENT_WIDTH]), timestep: float32Tensor([timestep], []), encoder_hidden_states: hidden }))
      .out_sample;
    const plane = 4 * LATENT_PLANE;
    return out.subarray(0, plane).map((u, i) => u + guidance * (out[plane + i] - u));
  });
  const decoded = await runFloat32(vaeDecoder, { latent_sample: float32Tensor(Float32Array.from(latents, (v) => v / DEMO_SCALING_FACTOR), [1, 4, LATENT_HEIGHT, LATENT_WIDTH]) });
  return decoded.sample.map((v) => Math.min(Math.max(v / 2 + 0.5, 0), 1));
}

test('an inpainting pipeline run equals renderDemoInpaint: the original outside the mask, the prompt inside', async () => {
  const original = renderDemoTarget('a yellow square on a green background', WIDTH, HEIGHT);
  // Repaint the right half (x ≥ 32), binarised at 0.5 like diffusers.
  const mask: DemoMask = { width: WIDTH, height: HEIGHT, data: Float32Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i % WIDTH >= 32 ? 0.9 : 0.1)) };
  const image = await inpaint(original, mask, 7.5);
  const reference = renderDemoInpaint(PROMPT, original, mask, { guidanceScale: 7.5 });
  let worst = 0;
  for (let i = 0; i < image.length; i++) worst = Math.max(worst, Math.abs(image[i] - reference.data[i]));
  assert.ok(worst < 1e-4, `largest difference from renderDemoInpaint ${worst}`);

  const painted = renderDemoTarget(PROMPT, WIDTH, HEIGHT, { guidanceScale: 7.5 });
  const pixel = (data: Float32Array, x: number, y: number): number[] => [0, 1, 2].map((c) => Math.round(255 * data[(c * HEIGHT + y) * WIDTH + x]));
  // Far from the seam: untouched green on the left, the red circle / blue background on the right.
  assert.deepEqual(pixel(reference.data, 4, 4), pixel(original.data, 4, 4));
  assert.deepEqual(pixel(reference.data, 4, 4), [0, 255, 0]);
  assert.deepEqual(pixel(reference.data, 60, 4), pixel(painted.data, 60, 4));
  assert.deepEqual(pixel(reference.data, 60, 4), [0, 0, 255]);
  assert.deepEqual(pixel(reference.data, 40, 24), [255, 0, 0]);

  const composited = renderDemoInpaint(PROMPT, original, mask, { guidanceScale: 7.5, composite: true });
  const left = (x: number, y: number): number => (0 * HEIGHT + y) * WIDTH + x;
  assert.ok(Math.abs(composited.data[left(31, 10)] - (0.1 * reference.data[left(31, 10)] + 0.9 * original.data[left(31, 10)])) < 1e-6);
});
