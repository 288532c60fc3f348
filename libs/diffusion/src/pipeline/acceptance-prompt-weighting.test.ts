/**
 * Acceptance: AUTOMATIC1111 prompt weighting and long prompts reach the UNet's text conditioning.
 * Runs on the sd2-tiny fixture (a real CLIP text encoder with random weights, 77-token chunks).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool } from '../runtime/session-pool.js';
import { tokenizeWeightedPrompt, type PromptChunk } from '../text/prompt-chunks.js';
import { StableDiffusionPipeline } from './stable-diffusion.js';
import { encodeChunks, type PromptEmbeddings } from './text-encoder.js';
import { maxAbsDiff } from './testing/demo-oracle.js';
import { inputData, inputDims, spyOnSession, type SessionSpy } from './testing/session-spy.js';

const PLAIN = 'a red circle on a blue background';
const WEIGHTED = 'a (red:1.5) circle on a blue background';
const UNIT_WEIGHTS = ['a (red:1) circle on a blue background', '(a red circle on a blue background:1.0)', 'a (red:1.0) circle on (a blue:1) background'];
/** 100 single-token words, no commas (so A1111's comma backtracking does not move the cut). */
const LONG = Array.from({ length: 100 }, (_, i) => ['red', 'blue', 'green', 'circle', 'square'][i % 5]).join(' ');

function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

describe('acceptance: A1111 weighting and long prompts reach the embeddings', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let model: LoadedModel;
  let encoder: ort.InferenceSession;
  let unet: SessionSpy;
  let releaseEncoder: () => void = () => undefined;

  const chunksOf = (text: string): PromptChunk[] => tokenizeWeightedPrompt(model.tokenizer, text).chunks;
  const encode = (chunks: readonly PromptChunk[]): Promise<PromptEmbeddings> => encodeChunks(encoder, chunks);
  /** The encoder_hidden_states the pipeline feeds the UNet (one step is enough to see them). */
  const unetConditioning = async (prompt: string, negativePrompt: string, guidanceScale: number): Promise<{ dims: readonly number[]; data: Float32Array }> => {
    unet.clear();
    await pipeline.generate(model, { prompt, negativePrompt, steps: 1, guidanceScale, width: 64, height: 64, seeds: [1], scheduler: 'Euler' });
    assert.equal(unet.runs.length, 1);
    return { dims: inputDims(unet.runs[0], 'encoder_hidden_states'), data: inputData(unet.runs[0], 'encoder_hidden_states') };
  };

  before(async () => {
    model = await LoadedModel.open(await readModelFolder(sharedFixture(path.join('sd2-tiny-onnx', 'model')), 'sd2-tiny'));
    const lease = await pool.acquire(model.folder.components.textEncoder as string);
    encoder = lease.session;
    releaseEncoder = () => lease.release();
    unet = await spyOnSession(pool, model.folder.components.unet);
  });
  after(async () => {
    releaseEncoder();
    unet?.restore();
    await pool.close();
  });

  it('(red:1.5) keeps the tokens, weights only "red", and scales its embedding by 1.5 relative to the rest (A1111)', async () => {
    const [plain] = chunksOf(PLAIN);
    const [weighted] = chunksOf(WEIGHTED);
    assert.deepEqual(weighted.ids, plain.ids, 'the attention syntax must not change the token ids');
    const weightedPositions = [...weighted.weights.keys()].filter((i) => weighted.weights[i] !== 1);
    assert.equal(weightedPositions.length, 1, `one weighted token, got positions ${weightedPositions.join(',')}`);
    const red = weightedPositions[0];
    assert.ok(Math.abs(weighted.weights[red] - 1.5) < 1e-6);
    assert.equal(red, 2, 'bos, "a", then "red"');

    const a = await encode([plain]);
    const b = await encode([weighted]);
    assert.ok(maxAbsDiff(a.hidden, b.hidden) > 1e-3, 'weighted embeddings must differ');
    // A1111: z·w per token, then one rescale k that restores the mean of the whole chunk.
    const channels = a.channels;
    const row = (h: Float32Array, token: number): Float32Array => h.subarray(token * channels, (token + 1) * channels);
    const ratio = (token: number): number => {
      const x = row(a.hidden, token);
      const y = row(b.hidden, token);
      let dot = 0;
      let norm = 0;
      for (let c = 0; c < channels; c++) {
        dot += x[c] * y[c];
        norm += x[c] * x[c];
      }
      const scale = dot / norm;
      for (let c = 0; c < channels; c++) assert.ok(Math.abs(y[c] - scale * x[c]) <= 1e-5 * (1 + Math.abs(y[c])), `token ${token} is not a scaled copy`);
      return scale;
    };
    const k = ratio(1);
    assert.ok(Math.abs(k - 1) > 1e-6, 'the mean-restoring rescale applies to every token');
    for (let token = 0; token < a.sequence; token++) {
      const expected = token === red ? 1.5 * k : k;
      assert.ok(Math.abs(ratio(token) - expected) <= 1e-5 * expected, `token ${token}: scale ${ratio(token)}, expected ${expected}`);
    }
    const mean = (h: Float32Array): number => h.reduce((sum, v) => sum + v, 0) / h.length;
    assert.ok(Math.abs(mean(b.hidden) - mean(a.hidden)) <= 1e-5 * Math.max(1e-3, Math.abs(mean(a.hidden))), 'the mean is restored');

    const plainFed = await unetConditioning(PLAIN, '', 1);
    const weightedFed = await unetConditioning(WEIGHTED, '', 1);
    assert.ok(bitIdentical(plainFed.data, a.hidden), 'the pipeline feeds the encoder output unchanged');
    assert.ok(bitIdentical(weightedFed.data, b.hidden), 'the pipeline feeds the weighted embeddings');
  });

  it('a prompt whose weights are all 1 gives exactly the plain embeddings', async () => {
    const plain = await encode(chunksOf(PLAIN));
    const plainFed = await unetConditioning(PLAIN, PLAIN, 5);
    for (const text of UNIT_WEIGHTS) {
      const chunks = chunksOf(text);
      assert.deepEqual(
        chunks.map((chunk) => [...chunk.ids]),
        chunksOf(PLAIN).map((chunk) => [...chunk.ids]),
        `${text}: token ids`,
      );
      assert.ok(
        chunks.every((chunk) => chunk.weights.every((w) => w === 1)),
        `${text}: weights`,
      );
      assert.ok(bitIdentical((await encode(chunks)).hidden, plain.hidden), `${text}: embeddings`);
      assert.ok(bitIdentical((await unetConditioning(text, text, 5)).data, plainFed.data), `${text}: UNet conditioning`);
    }
  });

  it('a prompt over 75 tokens gives 2 chunks (sequence 154), and the shorter prompt is padded to match', async () => {
    const long = chunksOf(LONG);
    assert.equal(long.length, 2, 'two 75-token chunks');
    const longEmbeddings = await encode(long);
    assert.equal(longEmbeddings.sequence, 2 * 77);
    const [emptyChunk] = chunksOf('');
    const short = chunksOf('blurry');
    assert.equal(short.length, 1);
    const shortPadded = await encode([...short, emptyChunk]);
    assert.equal(shortPadded.sequence, 154);
    const perImage = 154 * longEmbeddings.channels;

    // Long prompt, short negative: CFG batch [negative, positive], both 154 long.
    const longPrompt = await unetConditioning(LONG, 'blurry', 5);
    assert.deepEqual(longPrompt.dims, [2, 154, longEmbeddings.channels]);
    assert.ok(bitIdentical(longPrompt.data.subarray(0, perImage), shortPadded.hidden), 'negative = its chunk + an empty chunk');
    assert.ok(bitIdentical(longPrompt.data.subarray(perImage), longEmbeddings.hidden), 'positive = both chunks');

    // Short prompt, long negative: the prompt is the one padded.
    const longNegative = await unetConditioning('blurry', LONG, 5);
    assert.deepEqual(longNegative.dims, [2, 154, longEmbeddings.channels]);
    assert.ok(bitIdentical(longNegative.data.subarray(0, perImage), longEmbeddings.hidden), 'negative = both chunks');
    assert.ok(bitIdentical(longNegative.data.subarray(perImage), shortPadded.hidden), 'positive = its chunk + an empty chunk');

    // Without guidance only the prompt is encoded, still at full length.
    const unguided = await unetConditioning(LONG, 'blurry', 1);
    assert.deepEqual(unguided.dims, [1, 154, longEmbeddings.channels]);
    assert.ok(bitIdentical(unguided.data, longEmbeddings.hidden));

    // The second chunk carries real tokens: it differs from an empty chunk's embedding.
    const [, second] = long;
    assert.ok(maxAbsDiff((await encode([second])).hidden, (await encode([emptyChunk])).hidden) > 1e-3);
  });

  it('without guidance the negative prompt is unused: a long one does not pad the prompt to 154 tokens', async () => {
    // diffusers encodes no negative prompt when guidance_scale ≤ 1, so the picture cannot depend on it.
    const short = await encode(chunksOf('blurry'));
    const fed = await unetConditioning('blurry', LONG, 1);
    assert.deepEqual(fed.dims, [1, 77, short.channels], 'an unused negative prompt changed the conditioning length');
    assert.ok(bitIdentical(fed.data, short.hidden), 'the conditioning is the prompt alone');
  });
});
