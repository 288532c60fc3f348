/**
 * IP-Adapter through the pipeline on the tiny real-architecture fixture, with small graphs of our
 * own for the image encoder, the projection and the image-token UNets (ip-adapter-graphs.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { sharedFixture } from '@atelier/testing';
import { openControlNetReference } from '../controlnet/testing/controlnet-reference.js';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { spyOnSession } from '../pipeline/testing/session-spy.js';
import { StableDiffusionPipeline, type GenerationParams } from '../pipeline/stable-diffusion.js';
import { SessionPool } from '../runtime/session-pool.js';
import { IpAdapterError, type IpAdapterErrorCode } from './errors.js';
import { ipAdapterConditioning } from './ip-adapter-conditioning.js';
import { writeIpAdapterFolder, writeIpPipelineFolder } from './testing/ip-adapter-graphs.js';
import { syntheticRgb8 } from './testing/synthetic-image.js';

async function png(width: number, height: number, variant: number): Promise<Uint8Array> {
  const image = syntheticRgb8(width, height, variant);
  return new Uint8Array(await sharp(image.data, { raw: { width, height, channels: 3 } }).png().toBuffer());
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function rejectsWith(promise: Promise<unknown>, code: IpAdapterErrorCode, field: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IpAdapterError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    return true;
  });
}

const fixture = sharedFixture('controlnet-tiny-onnx');

describe('IP-Adapter in the SD 1.x pipeline', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let dir: string;
  let scaled: LoadedModel;
  let unscaled: LoadedModel;
  let dynamic: LoadedModel;
  let plain: LoadedModel;
  let adapter: string;
  let plusAdapter: string;
  let first: Uint8Array;
  let second: Uint8Array;
  let canny: Uint8Array;
  const base = { prompt: 'a cat', negativePrompt: '', steps: 4, guidanceScale: 7.5, width: 64, height: 64, seeds: [3], scheduler: 'DDIMScheduler' } as const;
  const pixels = async (model: LoadedModel, params: Partial<GenerationParams> = {}): Promise<Float32Array> => (await pipeline.generate(model, { ...base, ...params })).images[0].pixels;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ip-adapter-'));
    const source = path.join(fixture, 'model');
    const open = async (name: string, options: Parameters<typeof writeIpPipelineFolder>[2]): Promise<LoadedModel> =>
      LoadedModel.open(await readModelFolder(await writeIpPipelineFolder(source, path.join(dir, name), options)));
    scaled = await open('scaled', { imageTokens: 4, scaleInput: true });
    unscaled = await open('unscaled', { imageTokens: 4, scaleInput: false });
    dynamic = await open('dynamic', { imageTokens: 'dynamic', scaleInput: true });
    plain = await LoadedModel.open(await readModelFolder(source));
    adapter = await writeIpAdapterFolder(path.join(dir, 'adapter'), { width: 32, tokens: 4, plus: false, family: 'sd15' });
    plusAdapter = await writeIpAdapterFolder(path.join(dir, 'adapter-plus'), { width: 32, tokens: 4, plus: true, family: 'sd15', projectionFolder: 'image_proj' });
    first = await png(300, 180, 0);
    second = await png(120, 200, 1);
    canny = new Uint8Array(await readFile(path.join(fixture, 'reference', 'canny_64x64.png')));
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('scale 0 is no adapter, bit for bit: the plain UNet runs, the image-token UNet never', async () => {
    const without = await pixels(scaled);
    const ipUnet = await spyOnSession(pool, scaled.folder.components.ipUnet as string);
    const unet = await spyOnSession(pool, scaled.folder.components.unet);
    try {
      const zero = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 0 })] });
      assert.deepEqual(zero, without);
      assert.equal(ipUnet.runs.length, 0);
      assert.equal(unet.runs.length, 4);
    } finally {
      ipUnet.restore();
      unet.restore();
    }
  });

  it('the image steers the output: the same image gives identical pixels, another image different ones', async () => {
    const withFirst = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first] })] });
    const again = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first] })] });
    const withSecond = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [second] })] });
    const without = await pixels(scaled);
    assert.deepEqual(again, withFirst);
    assert.ok(maxDifference(withFirst, withSecond) > 1e-3, `two images differ by ${maxDifference(withFirst, withSecond)}`);
    assert.ok(maxDifference(withFirst, without) > 1e-3);
  });

  it('feeds text tokens then image tokens, the unconditional rows getting the zero image, and ipadapter_scale', async () => {
    const ipUnet = await spyOnSession(pool, scaled.folder.components.ipUnet as string);
    const unet = await spyOnSession(pool, scaled.folder.components.unet);
    try {
      await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 0.6 })] });
      await pixels(scaled);
      const fed = ipUnet.runs[0];
      const text = unet.runs[0].encoder_hidden_states;
      assert.deepEqual(fed.encoder_hidden_states.dims, [2, 81, 32]);
      assert.deepEqual([...(fed.ipadapter_scale.data ?? [])], [Math.fround(0.6)]);
      const data = fed.encoder_hidden_states.data as Float32Array;
      const textData = text.data as Float32Array;
      for (const row of [0, 1]) assert.deepEqual(data.subarray(row * 81 * 32, row * 81 * 32 + 77 * 32), textData.subarray(row * 77 * 32, (row + 1) * 77 * 32), `row ${row}: text tokens first`);
      const negative = data.subarray(77 * 32, 81 * 32);
      const positive = data.subarray(81 * 32 + 77 * 32, 2 * 81 * 32);
      assert.ok(maxDifference(negative, positive) > 1e-3, 'the negative branch is not the image');
      // Every image's zero-image tokens are the same, whatever the image.
      await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [second], scale: 0.6 })] });
      const other = ipUnet.runs.at(-1)?.encoder_hidden_states.data as Float32Array;
      assert.deepEqual(other.subarray(77 * 32, 81 * 32), negative);
      assert.ok(maxDifference(other.subarray(81 * 32 + 77 * 32), positive) > 1e-3);
    } finally {
      ipUnet.restore();
      unet.restore();
    }
  });

  it('scales through ipadapter_scale; without that input, scale 1 runs and any other scale is refused with a code', async () => {
    const half = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 0.5 })] });
    const full = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 1 })] });
    assert.ok(maxDifference(half, full) > 1e-4);
    const fixed = await pixels(unscaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first] })] });
    // The same graph with the scale input at 1 computes the same thing.
    assert.ok(maxDifference(fixed, full) < 1e-5);
    await rejectsWith(pixels(unscaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 0.5 })] }), 'ip_adapter_scale_unsupported', 'ip_adapter.scale');
    assert.deepEqual(await pixels(unscaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 0 })] }), await pixels(unscaled));
  });

  it('several images are concatenated as diffusers does (T tokens each, in order)', async () => {
    const ipUnet = await spyOnSession(pool, dynamic.folder.components.ipUnet as string);
    try {
      await pixels(dynamic, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first] })] });
      await pixels(dynamic, { conditioning: [ipAdapterConditioning({ model: adapter, images: [second] })] });
      await pixels(dynamic, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first, second] })] });
      const [one, two, both] = [ipUnet.runs[0], ipUnet.runs[4], ipUnet.runs[8]].map((run) => run.encoder_hidden_states);
      assert.deepEqual(both.dims, [2, 85, 32]);
      const positive = (run: typeof one, from: number, to: number): Float32Array => (run.data as Float32Array).subarray(run.dims[1] * 32 + from * 32, run.dims[1] * 32 + to * 32);
      assert.deepEqual(positive(both, 77, 81), positive(one, 77, 81));
      assert.deepEqual(positive(both, 81, 85), positive(two, 77, 81));
    } finally {
      ipUnet.restore();
    }
    await rejectsWith(pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first, second] })] }), 'ip_adapter_token_mismatch', 'ip_adapter.images');
  });

  it('plus adapters (penultimate hidden states, image_proj/) steer the output too', async () => {
    const a = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: plusAdapter, images: [first] })] });
    const b = await pixels(scaled, { conditioning: [ipAdapterConditioning({ model: plusAdapter, images: [second] })] });
    assert.ok(maxDifference(a, b) > 1e-3);
  });

  it('works with a ControlNet: the ip_controlnet UNet gets both; the ControlNet sees the text alone; scale 0 equals ControlNet alone', async () => {
    const controlnets = [{ model: path.join(fixture, 'controlnets', 'canny'), image: canny }];
    const net = await spyOnSession(pool, path.join(fixture, 'controlnets', 'canny', 'model.onnx'));
    const ipResidual = await spyOnSession(pool, scaled.folder.components.ipControlnetUnet as string);
    try {
      const cnetOnly = await pixels(scaled, { controlnets });
      const both = await pixels(scaled, { controlnets, conditioning: [ipAdapterConditioning({ model: adapter, images: [first] })] });
      const bothOther = await pixels(scaled, { controlnets, conditioning: [ipAdapterConditioning({ model: adapter, images: [second] })] });
      const zero = await pixels(scaled, { controlnets, conditioning: [ipAdapterConditioning({ model: adapter, images: [first], scale: 0 })] });
      assert.deepEqual(zero, cnetOnly);
      assert.ok(maxDifference(both, cnetOnly) > 1e-3);
      assert.ok(maxDifference(both, bothOther) > 1e-3);
      assert.equal(ipResidual.runs.length, 8);
      assert.deepEqual(ipResidual.runs[0].encoder_hidden_states.dims, [2, 81, 32]);
      assert.ok(ipResidual.runs[0].down_block_0_additional_residual);
      for (const run of net.runs) assert.deepEqual(run.encoder_hidden_states.dims, [2, 77, 32]);
    } finally {
      net.restore();
      ipResidual.restore();
    }
  });

  it('refuses what cannot run, each with its code and field', async () => {
    await rejectsWith(pixels(plain, { conditioning: [ipAdapterConditioning({ model: adapter, images: [first] })] }), 'ip_adapter_unet_missing', 'ip_adapter.model');
    await rejectsWith(pixels(scaled, { conditioning: [ipAdapterConditioning({ model: path.join(dir, 'nowhere'), images: [first] })] }), 'ip_adapter_model_missing', 'ip_adapter.model');
    await rejectsWith(pixels(scaled, { conditioning: [ipAdapterConditioning({ model: adapter, images: [new Uint8Array([9, 9, 9])] })] }), 'ip_adapter_image_invalid', 'ip_adapter.images[0]');
    const wide = await writeIpAdapterFolder(path.join(dir, 'adapter-wide'), { width: 48, tokens: 4, plus: false, family: 'sd15' });
    await rejectsWith(pixels(scaled, { conditioning: [ipAdapterConditioning({ model: wide, images: [first] })] }), 'ip_adapter_family_mismatch', 'ip_adapter.model');
    const xl = await writeIpAdapterFolder(path.join(dir, 'adapter-xl'), { width: 32, tokens: 4, plus: false, family: 'sdxl' });
    await rejectsWith(pixels(scaled, { conditioning: [ipAdapterConditioning({ model: xl, images: [first] })] }), 'ip_adapter_family_mismatch', 'ip_adapter.model');
    assert.throws(() => ipAdapterConditioning({ model: adapter, images: [] }), (error: unknown) => error instanceof IpAdapterError && error.code === 'ip_adapter_image_invalid');
    assert.throws(() => ipAdapterConditioning({ model: adapter, images: [first], scale: Number.NaN }), (error: unknown) => error instanceof IpAdapterError && error.code === 'ip_adapter_scale_unsupported');
  });
});

describe('IP-Adapter on the SDXL twin', () => {
  const root = path.join(fixture, 'sdxl');
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let dir: string;
  after(async () => {
    await pool.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('appends image tokens as wide as the text and leaves text_embeds and time_ids untouched; scale 0 is no adapter', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ip-adapter-xl-'));
    const model = await LoadedModel.open(await readModelFolder(await writeIpPipelineFolder(path.join(root, 'model'), path.join(dir, 'model'), { imageTokens: 4, scaleInput: true }), 'sdxl-ip', { textEncoders: 'optional' }));
    assert.equal(model.family, 'sdxl');
    const adapter = await writeIpAdapterFolder(path.join(dir, 'adapter'), { width: 64, tokens: 4, plus: true, family: 'sdxl' });
    const reference = await openControlNetReference(root);
    const run = reference.runs[0];
    assert.ok(run.prompt_embeds && run.negative_prompt_embeds && run.pooled_prompt_embeds && run.negative_pooled_prompt_embeds);
    const params: GenerationParams = {
      prompt: '',
      negativePrompt: '',
      promptEmbeds: {
        sequence: run.prompt_embeds.shape[1],
        prompt: await reference.f32(run.prompt_embeds.file),
        negative: await reference.f32(run.negative_prompt_embeds.file),
        pooled: await reference.f32(run.pooled_prompt_embeds.file),
        negativePooled: await reference.f32(run.negative_pooled_prompt_embeds.file),
      },
      steps: 3,
      guidanceScale: 5,
      scheduler: 'EulerDiscreteScheduler',
      width: 64,
      height: 64,
      seeds: [0],
    };
    const image = await png(200, 260, 2);
    const unet = await spyOnSession(pool, model.folder.components.unet);
    const ipUnet = await spyOnSession(pool, model.folder.components.ipUnet as string);
    try {
      const without = (await pipeline.generate(model, params)).images[0].pixels;
      const zero = (await pipeline.generate(model, { ...params, conditioning: [ipAdapterConditioning({ model: adapter, images: [image], scale: 0 })] })).images[0].pixels;
      const withImage = (await pipeline.generate(model, { ...params, conditioning: [ipAdapterConditioning({ model: adapter, images: [image], scale: 0.8 })] })).images[0].pixels;
      assert.deepEqual(zero, without);
      assert.ok(maxDifference(withImage, without) > 1e-3);
      const fed = ipUnet.runs[0];
      assert.deepEqual(fed.encoder_hidden_states.dims, [2, 81, 64]);
      for (const name of ['text_embeds', 'time_ids']) assert.deepEqual(fed[name].data, unet.runs[0][name].data, `${name} changed`);
    } finally {
      unet.restore();
      ipUnet.restore();
    }
  });
});
