/** Token assembly and diffusers' negative branch, on our small encoder/projection graphs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { clipPixelValues } from './clip-image.js';
import { IpAdapterError } from './errors.js';
import { appendImageTokens, encodeImageTokens, encoderOutput, type ImageTokens } from './image-tokens.js';
import { imageEncoderGraph, projectionGraph, type IpAdapterGraphOptions } from './testing/ip-adapter-graphs.js';
import { syntheticRgb8 } from './testing/synthetic-image.js';

async function sessions(options: IpAdapterGraphOptions): Promise<{ encoder: ort.InferenceSession; projection: ort.InferenceSession }> {
  return { encoder: await ort.InferenceSession.create(imageEncoderGraph(options)), projection: await ort.InferenceSession.create(projectionGraph(options)) };
}

async function run(session: ort.InferenceSession, input: string, output: string, data: Float32Array, dims: number[]): Promise<Float32Array> {
  const result = await session.run({ [input]: new ort.Tensor('float32', data, dims) });
  return Float32Array.from(result[output].data as Float32Array);
}

function filled(length: number, start: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => start + i);
}

describe('appendImageTokens', () => {
  for (const { label, width, count } of [
    { label: 'SD 1.5 (768 wide, 4 tokens)', width: 768, count: 4 },
    { label: 'SDXL plus (2048 wide, 16 tokens)', width: 2048, count: 16 },
  ]) {
    it(`${label}: each row is its 77 text tokens then the image tokens, the unconditional half the negative ones`, () => {
      const text = filled(2 * 77 * width, 0);
      const tokens: ImageTokens = { positive: filled(count * width, 1e6), negative: filled(count * width, -1e6), count, width };
      const { data, dims } = appendImageTokens(text, [2, 77, width], tokens, true);
      assert.deepEqual(dims, [2, 77 + count, width]);
      const row = (77 + count) * width;
      for (const r of [0, 1]) assert.deepEqual(data.subarray(r * row, r * row + 77 * width), text.subarray(r * 77 * width, (r + 1) * 77 * width));
      assert.deepEqual(data.subarray(77 * width, row), tokens.negative);
      assert.deepEqual(data.subarray(row + 77 * width, 2 * row), tokens.positive);
    });
  }

  it('without guidance every row gets the image tokens; several chunks of text stay in front', () => {
    const width = 4;
    const tokens: ImageTokens = { positive: filled(2 * width, 100), negative: filled(2 * width, -100), count: 2, width };
    const { data, dims } = appendImageTokens(filled(2 * 154 * width, 0), [2, 154, width], tokens, false);
    assert.deepEqual(dims, [2, 156, width]);
    for (const r of [0, 1]) assert.deepEqual(data.subarray(r * 156 * width + 154 * width, (r + 1) * 156 * width), tokens.positive);
  });
});

describe('encodeImageTokens (diffusers encode_image + projection)', () => {
  const images = [clipPixelValues(syntheticRgb8(300, 180, 0)), clipPixelValues(syntheticRgb8(90, 160, 1))];

  it('non-plus: image_embeds projected; the negative is the projection of zeros shaped like image_embeds', async () => {
    const options: IpAdapterGraphOptions = { width: 32, tokens: 4, plus: false, family: 'sd15' };
    const { encoder, projection } = await sessions(options);
    const tokens = await encodeImageTokens(encoder, projection, images, undefined, 'ip_adapter.model');
    assert.equal(tokens.count, 8);
    assert.equal(tokens.width, 32);
    for (const [index, pixels] of images.entries()) {
      const embeds = await run(encoder, 'pixel_values', 'image_embeds', pixels, [1, 3, 224, 224]);
      const expected = await run(projection, 'image_embeds', 'image_prompt_embeds', embeds, [1, 8]);
      assert.deepEqual(tokens.positive.subarray(index * 128, (index + 1) * 128), expected);
    }
    const zero = await run(projection, 'image_embeds', 'image_prompt_embeds', new Float32Array(8), [1, 8]);
    assert.ok(zero.some((value) => value !== 0), 'the projection of zeros is not zero (biases), so the branch matters');
    assert.deepEqual(tokens.negative.subarray(0, 128), zero);
    assert.deepEqual(tokens.negative.subarray(128), zero);
  });

  it('plus: penultimate hidden states projected; the negative is the encoding of an all-zero pixel_values', async () => {
    const options: IpAdapterGraphOptions = { width: 32, tokens: 4, plus: true, family: 'sd15' };
    const { encoder, projection } = await sessions(options);
    assert.deepEqual(encoderOutput(encoder, undefined, 'f'), { name: 'image_embeds', plus: false });
    assert.deepEqual(encoderOutput(encoder, true, 'f'), { name: 'hidden_states', plus: true });
    const tokens = await encodeImageTokens(encoder, projection, images.slice(0, 1), true, 'ip_adapter.model');
    const hidden = await run(encoder, 'pixel_values', 'hidden_states', images[0], [1, 3, 224, 224]);
    assert.deepEqual(tokens.positive, await run(projection, 'image_embeds', 'image_prompt_embeds', hidden, [1, 16, 12]));
    const zeroHidden = await run(encoder, 'pixel_values', 'hidden_states', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]);
    assert.ok(zeroHidden.some((value) => value !== 0));
    assert.deepEqual(tokens.negative, await run(projection, 'image_embeds', 'image_prompt_embeds', zeroHidden, [1, 16, 12]));
  });

  it('a plus adapter whose encoder has no hidden-states output is refused with a code', async () => {
    const options: IpAdapterGraphOptions = { width: 32, tokens: 4, plus: false, family: 'sd15' };
    const { projection } = await sessions(options);
    assert.throws(() => encoderOutput(projection, true, 'ip_adapter.model'), (error: unknown) => error instanceof IpAdapterError && error.code === 'ip_adapter_model_invalid');
  });
});
