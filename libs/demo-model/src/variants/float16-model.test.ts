import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { fromFloat16Bits, toFloat16Bits } from '@atelier/onnx-graph';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { demoTargetLatent } from '../render-demo-target.js';
import { simpleInputIds } from '../testing/demo-inputs.js';
import { alphaSigma, noisySample, recoverX0 } from '../testing/denoiser-checks.js';
import { seededNormal } from '../testing/seeded-random.js';
import { maxAbsDifference } from '../testing/session-io.js';
import { findClipTokenizerAssets, readVocab } from '../tokenizer-assets.js';
import { buildDemoUnetGraph } from '../unet-graph.js';
import { buildVaeDecoderGraph } from '../vae-graphs.js';
import { buildDemoVariant, type DemoVariantInfo } from './build-demo-variant.js';
import { splitToFloat16 } from './float16-model.js';
import { buildVariantTextEncoderGraph } from './text-encoder-variants.js';

const PROMPT = 'a green diamond on a navy background';
const [LATENT_WIDTH, LATENT_HEIGHT] = [6, 5];
const LATENT_DIMS = [1, 4, LATENT_HEIGHT, LATENT_WIDTH];

let root: string;
let model: DemoVariantInfo;
let vocab: Record<string, number>;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'demo-fp16-'));
  model = await buildDemoVariant(join(root, 'fp16'), 'fp16', { sampleSize: 8 });
  vocab = await readVocab(findClipTokenizerAssets());
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs one model and returns its outputs' raw data (float16 as bits). */
async function run(model: string | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor['data']>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const results = await session.run(feeds);
    return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, tensor.data]));
  } finally {
    await session.release();
  }
}

const half = (values: ArrayLike<number>, dims: readonly number[]): ort.Tensor => new ort.Tensor('float16', toFloat16Bits(values), dims);
const float = (values: ArrayLike<number>, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(values), dims);
const bits = (data: ort.Tensor['data']): Uint16Array => {
  if (!(data instanceof Uint16Array)) throw new Error('expected float16 bits');
  return data;
};

test('splitToFloat16 rebuilds float32 values bit for bit as ((p0 + p1) + p2) · 2^-e', () => {
  const normal = seededNormal(9);
  const tables = [
    Float32Array.of(0.36, 0.4225, 0.7, 1.75, -0.65, 0.18215),
    Float32Array.from({ length: 200 }, () => normal() * 3),
    Float32Array.of(123456.78, -0.5, 3),
    Float32Array.of(1e-6, 2.5e-7),
  ];
  for (const values of tables) {
    const { parts, exponent } = splitToFloat16(values);
    assert.equal(parts.length, 3);
    const restored = parts.map(fromFloat16Bits);
    const rebuilt = values.map((_, i) => Math.fround(Math.fround(Math.fround(restored[0][i] + restored[1][i]) + restored[2][i]) * 2 ** -exponent));
    assert.deepEqual(rebuilt, values);
  }
  const exact = splitToFloat16(Float32Array.of(0, 1, -1, 0.5, 1024));
  assert.deepEqual([exact.parts.length, exact.exponent], [1, 0]);
});

test('fp16 UNet: the float32 arithmetic rounded once, so an exact denoiser up to float16 output rounding', async () => {
  const reference = buildDemoUnetGraph({ predictionType: 'epsilon', hiddenSize: 768 }).encode().model;
  const summaryRow = new Float32Array(768);
  const encoded = await run(model.paths.textEncoder ?? '', { input_ids: new ort.Tensor('int64', simpleInputIds(vocab, PROMPT), [1, 77]) });
  summaryRow.set(fromFloat16Bits(bits(encoded.last_hidden_state)).subarray(0, 768));
  const hiddenValues = new Float32Array(77 * 768).map((_, i) => summaryRow[i % 768]);
  const target = demoTargetLatent(PROMPT, LATENT_WIDTH, LATENT_HEIGHT);
  for (const timestep of [999, 500, 37, 1]) {
    const sample = fromFloat16Bits(toFloat16Bits(noisySample(target, timestep, timestep)));
    const half16 = await run(model.paths.unet, {
      sample: half(sample, LATENT_DIMS),
      timestep: half([timestep], []),
      encoder_hidden_states: half(hiddenValues, [1, 77, 768]),
    });
    const float32 = await run(reference, { sample: float(sample, LATENT_DIMS), timestep: float([timestep], []), encoder_hidden_states: float(hiddenValues, [1, 77, 768]) });
    const exact = float32.out_sample as Float32Array;
    assert.deepEqual(bits(half16.out_sample), toFloat16Bits(exact), `t=${timestep}: fp16 output is the float32 output rounded`);

    const epsilon = fromFloat16Bits(bits(half16.out_sample));
    const { a, b } = alphaSigma(timestep);
    const tolerance = (b / a) * 2 ** -11 * epsilon.reduce((max, v) => Math.max(max, Math.abs(v)), 0) + 1e-4 * DEMO_SCALING_FACTOR;
    const error = maxAbsDifference(recoverX0(sample, epsilon, timestep, 'epsilon'), target);
    assert.ok(error <= tolerance, `t=${timestep}: x0 error ${error} > ${tolerance}`);
  }
});

test('fp16 text encoder and VAE decoder: float16 I/O carrying the float32 results', async () => {
  const ids = new ort.Tensor('int64', simpleInputIds(vocab, `${PROMPT} and a white ring`), [1, 77]);
  const half16 = await run(model.paths.textEncoder ?? '', { input_ids: ids });
  const float32 = await run(buildVariantTextEncoderGraph({ vocab, hiddenSize: 768, layout: 'clip' }).encode().model, { input_ids: ids });
  for (const name of ['last_hidden_state', 'pooler_output']) assert.deepEqual(bits(half16[name]), toFloat16Bits(float32[name] as Float32Array), name);

  const normal = seededNormal(2);
  const latent = fromFloat16Bits(toFloat16Bits(Float32Array.from({ length: 4 * 4 * 3 }, () => normal())));
  const decoded16 = await run(model.paths.vaeDecoder, { latent_sample: half(latent, [1, 4, 3, 4]) });
  const decoded32 = await run(buildVaeDecoderGraph().encode().model, { latent_sample: float(latent, [1, 4, 3, 4]) });
  assert.deepEqual(bits(decoded16.sample), toFloat16Bits(decoded32.sample as Float32Array));

  const image = Float32Array.from({ length: 3 * 16 * 24 }, (_, i) => ((i % 7) - 3) / 4);
  const encoded = await run(model.paths.vaeEncoder, { sample: half(image, [1, 3, 16, 24]) });
  const parameters = fromFloat16Bits(bits(encoded.latent_parameters));
  assert.equal(parameters.length, 8 * 2 * 3);
  assert.ok(parameters.subarray(4 * 6).every((v) => v === -30), 'log-variance −30 survives float16');
});
