/** ControlNet requests that cannot run fail with a ControlNetError whose code and field say why. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { UnsupportedRequestError } from '../pipeline/errors.js';
import { SessionPool } from '../runtime/session-pool.js';
import { StableDiffusionPipeline, type GenerationParams } from '../pipeline/stable-diffusion.js';
import type { ControlNetParams } from './controlnet-request.js';
import { ControlNetError, type ControlNetErrorCode } from './errors.js';

describe('ControlNet request errors', () => {
  const root = sharedFixture('controlnet-tiny-onnx');
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let sd: LoadedModel;
  let sdxl: LoadedModel;
  let canny: Uint8Array;
  const base = { prompt: 'a cat', negativePrompt: '', steps: 2, guidanceScale: 7.5, width: 64, height: 64, seeds: [1] } as const;

  before(async () => {
    sd = await LoadedModel.open(await readModelFolder(path.join(root, 'model')));
    sdxl = await LoadedModel.open(await readModelFolder(path.join(root, 'sdxl', 'model'), 'sdxl-tiny', { textEncoders: 'optional' }));
    canny = new Uint8Array(await readFile(path.join(root, 'reference', 'canny_64x64.png')));
  });
  after(() => pool.close());

  const rejects = async (model: LoadedModel, params: Partial<GenerationParams>, code: ControlNetErrorCode, field: string): Promise<void> => {
    await assert.rejects(pipeline.generate(model, { ...base, ...params }), (error: unknown) => {
      assert.ok(error instanceof ControlNetError, `expected a ControlNetError, got ${String(error)}`);
      // Callers that map UnsupportedRequestError to a client error (the worker) do so for these too.
      assert.ok(error instanceof UnsupportedRequestError);
      assert.equal(error.code, code);
      assert.equal(error.field, field);
      return true;
    });
  };
  const net = (overrides: Partial<ControlNetParams> = {}): ControlNetParams => ({ model: path.join(root, 'controlnets', 'canny'), image: canny, ...overrides });

  it('refuses an SD 1.x ControlNet on an SDXL model, and the SDXL net on SD 1.x, naming the field', async () => {
    const embeds = { sequence: 77, prompt: new Float32Array(77 * 64), pooled: new Float32Array(32) };
    await rejects(sdxl, { promptEmbeds: embeds, controlnets: [net()] }, 'controlnet_family_mismatch', 'controlnets[0].model');
    await rejects(sd, { controlnets: [net(), net({ model: path.join(root, 'sdxl', 'controlnets', 'canny') })] }, 'controlnet_family_mismatch', 'controlnets[1].model');
  });

  it('refuses a missing ControlNet folder', async () => {
    await rejects(sd, { controlnets: [net({ model: path.join(root, 'controlnets', 'no-such-net') })] }, 'controlnet_model_missing', 'controlnets[0].model');
  });

  it('refuses a control image that cannot be decoded', async () => {
    await rejects(sd, { controlnets: [net({ image: new TextEncoder().encode('not an image at all') })] }, 'controlnet_image_invalid', 'controlnets[0].image');
  });

  it('refuses a model without a residual-accepting UNet', async () => {
    const plain = await LoadedModel.open(await readModelFolder(sharedFixture('sd2-tiny-onnx/model')));
    await rejects(plain, { controlnets: [net()] }, 'controlnet_unet_missing', 'controlnets');
  });

  it('refuses a guidance window that ends before it starts', async () => {
    await rejects(sd, { controlnets: [net({ guidanceStart: 0.8, guidanceEnd: 0.2 })] }, 'controlnet_unsupported', 'controlnets[0].guidance_start');
  });
});
