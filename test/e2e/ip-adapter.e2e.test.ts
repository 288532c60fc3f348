import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { imageEncoderGraph, projectionGraph } from '@atelier/diffusion/testing';
import { sharedFixture } from '@atelier/testing';
import { edgePicture } from '../support/controlnet-models.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { IP_TINY, ipAdapterModelsDir, promptPicture } from '../support/ip-adapter-models.js';
import { decodePng, type DecodedPng } from '../support/png.js';

function maxDifference(a: DecodedPng, b: DecodedPng): number {
  assert.equal(a.rgba.length, b.rgba.length);
  let worst = 0;
  for (let i = 0; i < a.rgba.length; i++) worst = Math.max(worst, Math.abs(a.rgba[i] - b.rgba[i]));
  return worst;
}

interface Refusal {
  error: { code: string; details: Array<{ field: string; message: string }> };
}

/** POST /v1/models as multipart: fields and files (graphs and config.json). */
async function upload(apiUrl: string, key: string, fields: Record<string, string>, files: Record<string, Uint8Array>): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  for (const [name, bytes] of Object.entries(files)) form.set(name, new Blob([Buffer.from(bytes)]), name === 'config' ? 'config.json' : `${name}.onnx`);
  const response = await fetch(`${apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: response.status, body: await response.json() };
}

describe('IP-Adapter through the farm: registry lookup, image prompts, with ControlNet, errors (real processes)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let imageServer: Server;
  let junkUrl: string;
  const first = `data:image/png;base64,${promptPicture(1).toString('base64')}`;
  const second = promptPicture(2).toString('base64');
  const base = { model: 'cn-ip', prompt: 'a tiny test picture', img_width: 64, img_height: 64, num_inference_steps: 6, seed: 21, scheduler: 'Euler' };
  const canny = { model: 'canny', image: edgePicture().toString('base64'), preprocessor: 'canny', preprocessor_options: { detect_resolution: 64 } };

  before(async () => {
    modelsDir = await ipAdapterModelsDir();
    imageServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('not an image at all')));
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    junkUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/junk.png`;
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, OUTBOUND_ALLOWED_HOSTS: new URL(junkUrl).host, RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => {
    imageServer?.close();
    await fixture?.stop();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  const run = async (body: Record<string, unknown>): Promise<GenerationView> => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...base, ...body });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return done;
  };
  const png = async (output: GenerationView['outputs'][number]): Promise<DecodedPng> => {
    const response = await fetch(output.url as string);
    assert.equal(response.status, 200);
    return decodePng(Buffer.from(await response.arrayBuffer()));
  };

  it('announces IP-Adapters under onnx_models (family, token width) and which models have an image-attention UNet', async () => {
    const workers = await fixture.api.request<{ data: Array<{ onnx_models: Array<{ kind: string }> }> }>('GET', '/v1/workers');
    assert.deepEqual(workers.body.data[0].onnx_models.filter((model) => model.kind === 'ip_adapter'), [
      { kind: 'ip_adapter', name: 'ip-tiny', base_family: 'sd1', cross_attention_dim: 32 },
      { kind: 'ip_adapter', name: 'ip-xl', base_family: 'sdxl', cross_attention_dim: 64 },
    ]);
    const models = await fixture.api.request<{ data: Array<{ id: string; ip_unet: boolean; ip_controlnet: boolean }> }>('GET', '/v1/models');
    const byId = new Map(models.body.data.map((model) => [model.id, model]));
    assert.deepEqual([byId.get('cn-ip')?.ip_unet, byId.get('cn-ip')?.ip_controlnet, byId.get('cn-tiny')?.ip_unet], [true, true, false]);
    type Schema = { properties?: Record<string, Schema>; maxItems?: number };
    const openapi = (await (await fetch(`${fixture.farm.apiUrl}/docs/openapi.json`)).json()) as { components: { schemas: Record<string, Schema> } };
    const field = openapi.components.schemas.GenerationRequest.properties?.ip_adapter;
    assert.deepEqual(Object.keys(field?.properties ?? {}).sort(), ['images', 'model', 'scale'], 'OpenAPI documents ip_adapter');
    assert.equal(field?.properties?.images.maxItems, 4);
  });

  it('an IP-Adapter generation: scale 0 equals no adapter byte for byte, the image steers, another image changes the pixels; parameters and infotext record it', async () => {
    const plain = await run({});
    const zero = await run({ ip_adapter: { model: 'ip-tiny', images: [first], scale: 0 } });
    assert.deepEqual((await png(zero.outputs[0])).rgba, (await png(plain.outputs[0])).rgba, 'scale 0 is the plain UNet, byte for byte');
    const steered = await run({ ip_adapter: { model: 'ip-tiny', images: [first] } });
    assert.deepEqual(steered.parameters.ip_adapter, { model: 'ip-tiny', images: [first], scale: 1 });
    assert.deepEqual(steered.outputs.map((output) => output.kind), ['image']);
    const image = await png(steered.outputs[0]);
    const byAdapter = maxDifference(image, await png(plain.outputs[0]));
    const other = await run({ ip_adapter: { model: 'ip-tiny', images: [second] } });
    const byImage = maxDifference(await png(other.outputs[0]), image);
    console.log(`IP-Adapter vs none: max channel difference ${byAdapter}; another image prompt: ${byImage}`);
    assert.ok(byAdapter > 0, 'the image prompt changes the picture');
    assert.ok(byImage > 0, 'another image prompt changes it differently');
    assert.match(image.text.parameters, /IP-Adapter: "Model: ip-tiny, Weight: 1, Images: 1"/);
  });

  it('IP-Adapter + canny ControlNet (ip_controlnet/): the image and its control map output', async () => {
    const controlOnly = await run({ controlnets: [canny] });
    const both = await run({ controlnets: [canny], ip_adapter: { model: 'ip-tiny', images: [first, second], scale: 0.7 } });
    assert.deepEqual(
      both.outputs.map((output) => [output.kind, output.controlnet]),
      [
        ['image', undefined],
        ['control', { index: 0, model: 'canny', preprocessor: 'canny' }],
      ],
    );
    assert.deepEqual(await png(both.outputs[1]), await png(controlOnly.outputs[1]), 'the same control map');
    const difference = maxDifference(await png(both.outputs[0]), await png(controlOnly.outputs[0]));
    console.log(`IP-Adapter (2 images, 0.7) + canny vs canny alone: max channel difference ${difference}`);
    assert.ok(difference > 0);
  });

  it('registry-imported (uploaded, private) IP-Adapter and ControlNet run end to end, equal to their MODELS_DIR twins', async () => {
    const config = Buffer.from(JSON.stringify({ family: IP_TINY.family, plus: IP_TINY.plus, tokens: IP_TINY.tokens }));
    const ip = await upload(fixture.farm.apiUrl, fixture.farm.apiKey, { kind: 'ip_adapter', name: 'ip-up' }, { image_encoder: imageEncoderGraph(IP_TINY), projection: projectionGraph(IP_TINY), config });
    assert.equal(ip.status, 201, JSON.stringify(ip.body));
    assert.deepEqual([(ip.body as { base_family: string; plus: boolean; tokens: number }).base_family, (ip.body as { plus: boolean }).plus, (ip.body as { tokens: number }).tokens], ['sd1', false, 4]);
    const fixtureNet = path.join(sharedFixture('controlnet-tiny-onnx'), 'controlnets', 'canny');
    const net = await upload(fixture.farm.apiUrl, fixture.farm.apiKey, { kind: 'controlnet', name: 'cn-up', base_family: 'sd1' }, { file: await readFile(path.join(fixtureNet, 'model.onnx')), config: await readFile(path.join(fixtureNet, 'config.json')) });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    // Workers sync within a heartbeat; submissions are refused until some class announces the models.
    const deadline = Date.now() + 30_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      const workers = await fixture.api.request<{ data: Array<{ onnx_models: Array<{ kind: string; name: string }> }> }>('GET', '/v1/workers');
      names = workers.body.data.flatMap((worker) => worker.onnx_models.map((model) => `${model.kind}:${model.name.split('/').pop()}`));
      if (names.includes('ip_adapter:ip-up') && names.includes('controlnet:cn-up')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(names.includes('ip_adapter:ip-up') && names.includes('controlnet:cn-up'), names.join(', '));
    const listed = await fixture.api.request<{ data: Array<{ id: string; origin: string }> }>('GET', '/v1/models?kind=ip_adapter');
    assert.deepEqual(listed.body.data.map((entry) => [entry.id, entry.origin]).sort(), [['ip_adapter:ip-tiny', 'worker'], ['ip_adapter:ip-up', 'registry'], ['ip_adapter:ip-xl', 'worker']]);
    const uploaded = await run({ controlnets: [{ ...canny, model: 'cn-up' }], ip_adapter: { model: 'ip-up', images: [first] } });
    const local = await run({ controlnets: [canny], ip_adapter: { model: 'ip-tiny', images: [first] } });
    assert.deepEqual((await png(uploaded.outputs[0])).rgba, (await png(local.outputs[0])).rgba, 'the synced folders open and run like the MODELS_DIR ones');
    assert.equal(uploaded.outputs[1].controlnet?.model, 'cn-up');
  });

  it('refuses a wrong-family IP-Adapter, a missing one, a model without ip_unet and a bad image (400 naming the field); an unreadable URL image fails the job', async () => {
    const submit = (body: Record<string, unknown>) => fixture.api.request<Refusal>('POST', '/v1/generations', { ...base, ...body });
    const fields = (refusal: { body: Refusal }) => refusal.body.error.details.map((detail) => detail.field);
    const wrongFamily = await submit({ ip_adapter: { model: 'ip-xl', images: [first] } });
    assert.equal(wrongFamily.status, 400);
    assert.deepEqual(fields(wrongFamily), ['ip_adapter.model']);
    assert.match(wrongFamily.body.error.details[0].message, /"ip-xl" is for SDXL; model cn-ip is/);
    const missing = await submit({ ip_adapter: { model: 'no-such-adapter', images: [first] } });
    assert.deepEqual([missing.status, ...fields(missing)], [400, 'ip_adapter.model']);
    assert.match(missing.body.error.details[0].message, /unknown IP-Adapter "no-such-adapter"; available: ip-tiny, (ip-up, )?ip-xl/);
    const noIpUnet = await submit({ model: 'cn-tiny', ip_adapter: { model: 'ip-tiny', images: [first] } });
    assert.deepEqual([noIpUnet.status, ...fields(noIpUnet)], [400, 'ip_adapter.model']);
    assert.match(noIpUnet.body.error.details[0].message, /cn-tiny has no UNet exported with image-prompt attention \(ip_unet\/ in its folder\)/);
    const badImage = await submit({ ip_adapter: { model: 'ip-tiny', images: [first, Buffer.from('not an image at all').toString('base64')] } });
    assert.deepEqual([badImage.status, ...fields(badImage)], [400, 'ip_adapter.images.1']);
    const noImages = await submit({ ip_adapter: { model: 'ip-tiny', images: [] } });
    assert.deepEqual([noImages.status, ...fields(noImages)], [400, 'ip_adapter.images']);

    const junk = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...base, ip_adapter: { model: 'ip-tiny', images: [junkUrl] } });
    assert.equal(junk.status, 202, JSON.stringify(junk.body));
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${junk.body.id}`);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'invalid_image');
    assert.match(failed.error?.message ?? '', /^ip_adapter\.images\.0: /);
  });

  it('maps an A1111 sd-webui-controlnet IP-Adapter unit onto ip_adapter (weight → scale) beside a canny unit', async () => {
    const response = await fixture.api.request<{ images: string[]; parameters: Record<string, unknown> }>('POST', '/sdapi/v1/txt2img', {
      prompt: 'a tiny test picture',
      width: 64,
      height: 64,
      steps: 6,
      seed: 21,
      sampler_name: 'Euler',
      override_settings: { sd_model_checkpoint: 'cn-ip' },
      alwayson_scripts: { controlnet: { args: [{ module: 'ip-adapter_clip_sd15', model: 'ip-tiny [0a1b2c3d]', image: second, weight: 0.5 }, { module: 'canny', model: 'canny', image: canny.image }] } },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 500));
    assert.equal(response.body.images.length, 2, 'the picture and the canny map');
    const refused = await fixture.api.request<{ error?: Refusal['error']; errors?: Array<{ field: string }> }>('POST', '/sdapi/v1/txt2img', {
      prompt: 'x',
      width: 64,
      height: 64,
      override_settings: { sd_model_checkpoint: 'cn-ip' },
      alwayson_scripts: { controlnet: { args: [{ module: 'ip-adapter_clip_sdxl', model: 'ip-xl', image: second }] } },
    });
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.body.error?.details ?? refused.body.errors ?? []).map((detail) => detail.field), ['alwayson_scripts.controlnet.args.0.model']);
  });
});
