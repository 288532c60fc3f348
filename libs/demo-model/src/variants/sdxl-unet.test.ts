import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { parseDemoPrompt, summaryFromConditioning } from '../conditioning.js';
import { demoTargetLatent } from '../render-demo-target.js';
import { renderDemoTarget } from '../render-demo-target.js';
import { simpleInputIds } from '../testing/demo-inputs.js';
import { noisySample, recoverX0 } from '../testing/denoiser-checks.js';
import { eulerSample } from '../testing/euler.js';
import { seededNormal } from '../testing/seeded-random.js';
import { buildVaeDecoderGraph } from '../vae-graphs.js';
import { float32Tensor, maxAbsDifference, runFloat32 } from '../testing/session-io.js';
import { findClipTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { sdxlRefinerTimeIds, sdxlTimeIds, SDXL_SCALING_FACTOR } from './sdxl-time-ids.js';
import { buildSdxlUnetGraph, SDXL_TEXT_2_WIDTH, SDXL_TEXT_WIDTH } from './sdxl-unet.js';
import { buildVariantTextEncoderGraph, HIDDEN_STATE_STEP } from './text-encoder-variants.js';

const PROMPT = 'a red circle on a blue background';
const [WIDTH, HEIGHT] = [64, 48];
const [LATENT_WIDTH, LATENT_HEIGHT] = [WIDTH / 8, HEIGHT / 8];
const PLANE = 4 * LATENT_WIDTH * LATENT_HEIGHT;
const SEQUENCE = 77;

let encoder1: ort.InferenceSession;
let encoder2: ort.InferenceSession;
let baseUnet: ort.InferenceSession;
let refinerUnet: ort.InferenceSession;
/** Outputs of each encoder for the CFG batch [negative "", PROMPT]. */
let encoded1: Record<string, Float32Array>;
let encoded2: Record<string, Float32Array>;

before(async () => {
  const vocab = await readVocab(findClipTokenizerAssets());
  const session = (bytes: Uint8Array): Promise<ort.InferenceSession> => ort.InferenceSession.create(bytes);
  [encoder1, encoder2, baseUnet, refinerUnet] = await Promise.all([
    session(buildVariantTextEncoderGraph({ vocab, hiddenSize: SDXL_TEXT_WIDTH, layout: 'clip-hidden-states', layers: 12 }).encode().model),
    session(buildVariantTextEncoderGraph({ vocab, hiddenSize: SDXL_TEXT_2_WIDTH, layout: 'projection-hidden-states', layers: 32 }).encode().model),
    session(buildSdxlUnetGraph('base').encode().model),
    session(buildSdxlUnetGraph('refiner').encode().model),
  ]);
  const ids = (padId: number): ort.Tensor => {
    const data = new BigInt64Array(2 * SEQUENCE);
    data.set(simpleInputIds(vocab, '', SEQUENCE, padId), 0);
    data.set(simpleInputIds(vocab, PROMPT, SEQUENCE, padId), SEQUENCE);
    return new ort.Tensor('int64', data, [2, SEQUENCE]);
  };
  encoded1 = await runFloat32(encoder1, { input_ids: ids(49407) });
  // tokenizer_2 pads with "!", id 0.
  encoded2 = await runFloat32(encoder2, { input_ids: ids(0) });
});

after(async () => {
  await Promise.all([encoder1, encoder2, baseUnet, refinerUnet].map((session) => session.release()));
});

/** [rows, sequence, a + b]: each position's features of `first` followed by those of `second`. */
function concatFeatures(first: Float32Array, firstWidth: number, second: Float32Array, secondWidth: number): Float32Array {
  const positions = first.length / firstWidth;
  const out = new Float32Array(positions * (firstWidth + secondWidth));
  for (let p = 0; p < positions; p++) {
    out.set(first.subarray(p * firstWidth, (p + 1) * firstWidth), p * (firstWidth + secondWidth));
    out.set(second.subarray(p * secondWidth, (p + 1) * secondWidth), p * (firstWidth + secondWidth) + firstWidth);
  }
  return out;
}

/** What diffusers feeds the base UNet: penultimate hidden states of both encoders, concatenated. */
const baseHidden = (): Float32Array => concatFeatures(encoded1['hidden_states.11'], SDXL_TEXT_WIDTH, encoded2['hidden_states.31'], SDXL_TEXT_2_WIDTH);
const timeIdRows = (...rows: Float32Array[]): ort.Tensor => float32Tensor(rows.flatMap((row) => [...row]), [rows.length, rows[0].length]);

/** Largest |recovered x0 − target| per CFG row [neutral, PROMPT], for a noisy sample at `timestep`. */
async function x0Errors(session: ort.InferenceSession, timestep: number, extra: Record<string, ort.Tensor>, timestepLength = 2): Promise<number[]> {
  const target = new Float32Array(2 * PLANE);
  target.set(demoTargetLatent(PROMPT, LATENT_WIDTH, LATENT_HEIGHT, SDXL_SCALING_FACTOR), PLANE);
  const sample = noisySample(target, timestep, Math.round(timestep) + 7);
  const out = await runFloat32(session, {
    sample: float32Tensor(sample, [2, 4, LATENT_HEIGHT, LATENT_WIDTH]),
    timestep: float32Tensor(new Array<number>(timestepLength).fill(timestep), [timestepLength]),
    ...extra,
  });
  const recovered = recoverX0(sample, out.out_sample, timestep, 'epsilon');
  return [0, 1].map((row) => maxAbsDifference(recovered.subarray(row * PLANE, (row + 1) * PLANE), target.subarray(row * PLANE, (row + 1) * PLANE)));
}

const EXACT = 1e-4 * SDXL_SCALING_FACTOR;
const BROKEN = 0.5 * SDXL_SCALING_FACTOR;

test('text encoders: only the penultimate hidden state is the plain summary; text_embeds is the pooled summary', () => {
  const summary = summaryFromConditioning(parseDemoPrompt(PROMPT));
  const positive = (values: Float32Array, width: number, position: number): Float32Array =>
    values.subarray((SEQUENCE + position) * width, (SEQUENCE + position) * width + summary.length);
  for (const [encoded, width, layers] of [[encoded1, SDXL_TEXT_WIDTH, 12], [encoded2, SDXL_TEXT_2_WIDTH, 32]] as const) {
    for (const position of [0, 5, SEQUENCE - 1]) {
      assert.deepEqual(positive(encoded[`hidden_states.${layers - 1}`], width, position), summary);
      assert.deepEqual(positive(encoded.last_hidden_state, width, position), summary.map((v) => v + HIDDEN_STATE_STEP));
      assert.deepEqual(positive(encoded['hidden_states.0'], width, position), summary.map((v) => v - HIDDEN_STATE_STEP * (layers - 1)));
    }
    assert.deepEqual(encoded.last_hidden_state, encoded[`hidden_states.${layers}`]);
  }
  assert.deepEqual(encoded2.text_embeds.subarray(SDXL_TEXT_2_WIDTH, SDXL_TEXT_2_WIDTH + summary.length), summary);
  assert.ok(encoded2.text_embeds.subarray(0, SDXL_TEXT_2_WIDTH).every((v) => v === 0), 'the empty prompt pools to zeros');
});

test('SDXL base UNet: exact denoiser for the prompt with diffusers-formed text_embeds and time_ids, timestep [batch] or [1]', async () => {
  const extra = {
    encoder_hidden_states: float32Tensor(baseHidden(), [2, SEQUENCE, SDXL_TEXT_WIDTH + SDXL_TEXT_2_WIDTH]),
    text_embeds: float32Tensor(encoded2.text_embeds, [2, SDXL_TEXT_2_WIDTH]),
    time_ids: timeIdRows(sdxlTimeIds(WIDTH, HEIGHT), sdxlTimeIds(WIDTH, HEIGHT)),
  };
  for (const timestep of [999, 500.5, 20]) {
    for (const length of [2, 1]) {
      for (const error of await x0Errors(baseUnet, timestep, extra, length)) assert.ok(error <= EXACT, `t=${timestep} timestep[${length}]: ${error}`);
    }
  }
  // force_zeros_for_empty_prompt: an all-zero negative is the same neutral picture.
  const zeroNegative = baseHidden().fill(0, 0, SEQUENCE * (SDXL_TEXT_WIDTH + SDXL_TEXT_2_WIDTH));
  const zeroPooled = encoded2.text_embeds.slice().fill(0, 0, SDXL_TEXT_2_WIDTH);
  const errors = await x0Errors(baseUnet, 400, { ...extra, encoder_hidden_states: float32Tensor(zeroNegative, [2, SEQUENCE, 2048]), text_embeds: float32Tensor(zeroPooled, [2, 1280]) });
  assert.ok(Math.max(...errors) <= EXACT, `zeroed negative: ${errors}`);
});

test('SDXL base UNet: wrong time_ids, text_embeds or hidden states visibly break exactness', async () => {
  const hidden = float32Tensor(baseHidden(), [2, SEQUENCE, 2048]);
  const textEmbeds = float32Tensor(encoded2.text_embeds, [2, SDXL_TEXT_2_WIDTH]);
  const right = sdxlTimeIds(WIDTH, HEIGHT);
  const cases: Record<string, Record<string, ort.Tensor>> = {
    'time_ids of a 1024 × 1024 image': { time_ids: timeIdRows(sdxlTimeIds(1024, 1024), sdxlTimeIds(1024, 1024)) },
    'time_ids as (w, h) instead of (h, w)': { time_ids: timeIdRows(sdxlTimeIds(HEIGHT, WIDTH), sdxlTimeIds(HEIGHT, WIDTH)) },
    'a non-zero crop': { time_ids: timeIdRows(right, Float32Array.of(HEIGHT, WIDTH, 8, 0, HEIGHT, WIDTH)) },
    'zero text_embeds for the prompt': { text_embeds: float32Tensor(new Float32Array(2 * SDXL_TEXT_2_WIDTH), [2, SDXL_TEXT_2_WIDTH]) },
    'last_hidden_state instead of the penultimate layer': {
      encoder_hidden_states: float32Tensor(concatFeatures(encoded1.last_hidden_state, 768, encoded2.last_hidden_state, 1280), [2, SEQUENCE, 2048]),
    },
    'the encoders concatenated in the wrong order': {
      encoder_hidden_states: float32Tensor(concatFeatures(encoded2['hidden_states.31'], 1280, encoded1['hidden_states.11'], 768), [2, SEQUENCE, 2048]),
    },
  };
  for (const [label, wrong] of Object.entries(cases)) {
    const [, promptRow] = await x0Errors(baseUnet, 300, { encoder_hidden_states: hidden, text_embeds: textEmbeds, time_ids: timeIdRows(right, right), ...wrong });
    assert.ok(promptRow >= BROKEN, `${label}: error ${promptRow} should be large`);
  }
});

test('SDXL refiner UNet: exact with text_encoder_2 alone and aesthetic scores 2.5 / 6, broken otherwise', async () => {
  const extra = (negative: Float32Array, positive: Float32Array): Record<string, ort.Tensor> => ({
    encoder_hidden_states: float32Tensor(encoded2['hidden_states.31'], [2, SEQUENCE, SDXL_TEXT_2_WIDTH]),
    text_embeds: float32Tensor(encoded2.text_embeds, [2, SDXL_TEXT_2_WIDTH]),
    time_ids: timeIdRows(negative, positive),
  });
  const diffusers = extra(sdxlRefinerTimeIds(WIDTH, HEIGHT, 2.5), sdxlRefinerTimeIds(WIDTH, HEIGHT));
  for (const timestep of [999, 250.75, 10]) {
    for (const error of await x0Errors(refinerUnet, timestep, diffusers)) assert.ok(error <= EXACT, `t=${timestep}: ${error}`);
  }
  const wrong = {
    'aesthetic score 5': extra(sdxlRefinerTimeIds(WIDTH, HEIGHT, 2.5), sdxlRefinerTimeIds(WIDTH, HEIGHT, 5)),
    'original size of another image': extra(sdxlRefinerTimeIds(1024, 1024, 2.5), sdxlRefinerTimeIds(1024, 1024)),
    'base-model time_ids cut to 5': extra(sdxlTimeIds(WIDTH, HEIGHT).subarray(1), sdxlTimeIds(WIDTH, HEIGHT).subarray(1)),
  };
  for (const [label, feeds] of Object.entries(wrong)) {
    const [, promptRow] = await x0Errors(refinerUnet, 300, feeds);
    assert.ok(promptRow >= BROKEN, `${label}: error ${promptRow} should be large`);
  }
});

test('an SDXL base run (zeroed negative, CFG 5, Euler, VAE at 0.13025) paints renderDemoTarget', async () => {
  const guidance = 5;
  const hiddenWidth = SDXL_TEXT_WIDTH + SDXL_TEXT_2_WIDTH;
  const feeds = {
    encoder_hidden_states: float32Tensor(baseHidden().fill(0, 0, SEQUENCE * hiddenWidth), [2, SEQUENCE, hiddenWidth]),
    text_embeds: float32Tensor(encoded2.text_embeds.slice().fill(0, 0, SDXL_TEXT_2_WIDTH), [2, SDXL_TEXT_2_WIDTH]),
    time_ids: timeIdRows(sdxlTimeIds(WIDTH, HEIGHT), sdxlTimeIds(WIDTH, HEIGHT)),
  };
  const normal = seededNormal(21);
  const latent = await eulerSample(Float64Array.from({ length: PLANE }, () => normal()), 8, 'epsilon', async (input, timestep) => {
    const doubled = new Float32Array(2 * PLANE);
    doubled.set(input, 0);
    doubled.set(input, PLANE);
    const out = (await runFloat32(baseUnet, { sample: float32Tensor(doubled, [2, 4, LATENT_HEIGHT, LATENT_WIDTH]), timestep: float32Tensor([timestep, timestep], [2]), ...feeds })).out_sample;
    return out.subarray(0, PLANE).map((u, i) => u + guidance * (out[PLANE + i] - u));
  });
  const decoder = await ort.InferenceSession.create(buildVaeDecoderGraph().encode().model);
  const decoded = await runFloat32(decoder, { latent_sample: float32Tensor(Float32Array.from(latent, (v) => v / SDXL_SCALING_FACTOR), [1, 4, LATENT_HEIGHT, LATENT_WIDTH]) });
  await decoder.release();
  const image = decoded.sample.map((v) => Math.min(Math.max(v / 2 + 0.5, 0), 1));
  const reference = renderDemoTarget(PROMPT, WIDTH, HEIGHT, { guidanceScale: guidance });
  assert.ok(maxAbsDifference(image, reference.data) < 1e-4, `largest pixel difference ${maxAbsDifference(image, reference.data)}`);
});
