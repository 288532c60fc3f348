import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageEncoderGraph, projectionGraph } from '@atelier/diffusion/testing';
import { sharedFixture } from '@atelier/testing';
import { TestApiClient } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { IP_TINY, ipAdapterModelsDir, promptPicture } from '../support/ip-adapter-models.js';
import { pngDeclaring } from '../support/png-header.js';
import { ProbeTable } from '../support/probe-table.js';
import { rawRequest } from '../support/raw-request.js';

const table = new ProbeTable('IP-Adapter requests');
const picture = promptPicture(3).toString('base64');
const BASE = { model: 'cn-ip', prompt: 'a probe', img_width: 64, img_height: 64, num_inference_steps: 3, scheduler: 'Euler' } as const;
const IP = { model: 'ip-tiny', images: [picture] } as const;

interface Refusal {
  error?: { code: string; details?: Array<{ field: string; message: string }> };
  errors?: Array<{ field: string; message: string }>;
}
const fieldsOf = (body: Refusal): string[] => (body.error?.details ?? body.errors ?? []).map((detail) => detail.field);

async function upload(apiUrl: string, key: string, fields: Record<string, string>, files: Record<string, Uint8Array>): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  for (const [name, bytes] of Object.entries(files)) form.set(name, new Blob([Buffer.from(bytes)]), name === 'config' ? 'config.json' : `${name}.onnx`);
  return (await fetch(`${apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form })).status;
}

describe('security: IP-Adapter fields (keys, tenants, casings, internal URLs, hostile input; real farm)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let internal: Server;
  let internalHits = 0;
  let internalPort = 0;
  let alpha: TestApiClient;
  let alphaKey: string;
  let beta: TestApiClient;

  before(async () => {
    modelsDir = await ipAdapterModelsDir();
    // An internal service that would happily serve an image prompt: it must never be reached.
    internal = createServer((_request, response) => {
      internalHits++;
      response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(picture, 'base64'));
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    const address = internal.address();
    internalPort = typeof address === 'object' && address ? address.port : 0;
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, RATE_LIMIT_PER_MINUTE: '1000' });
    const keyOf = async (tenant: string): Promise<string> => (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant, scopes: ['generate', 'models:write'] })).body.key;
    alphaKey = await keyOf('alpha');
    alpha = new TestApiClient(fixture.farm.apiUrl, alphaKey);
    beta = new TestApiClient(fixture.farm.apiUrl, await keyOf('beta'));
  });
  after(async () => {
    internal?.close();
    await fixture?.stop();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  it('needs a key: an IP-Adapter request without one is 401 on every path', async () => {
    for (const [route, body] of [
      ['/v1/generations', { ...BASE, ip_adapter: IP }],
      ['/v1/batches', { requests: [{ ...BASE, ip_adapter: IP }] }],
      ['/sdapi/v1/txt2img', { prompt: 'x', alwayson_scripts: { controlnet: { args: [{ module: 'ip-adapter_clip_sd15', model: 'ip-tiny', image: picture }] } } }],
    ] as const) {
      const response = await fetch(`${fixture.farm.apiUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      table.record(`POST ${route} with ip_adapter, no key`, '401', response.status);
      assert.equal(response.status, 401, route);
    }
  });

  it("keeps a tenant's private IP-Adapter and ControlNet its own: another tenant gets the 400 of a missing model, by any spelling", async () => {
    const config = Buffer.from(JSON.stringify({ family: IP_TINY.family }));
    assert.equal(await upload(fixture.farm.apiUrl, alphaKey, { kind: 'ip_adapter', name: 'alpha-ip' }, { image_encoder: imageEncoderGraph(IP_TINY), projection: projectionGraph(IP_TINY), config }), 201);
    const net = path.join(sharedFixture('controlnet-tiny-onnx'), 'controlnets', 'canny');
    assert.equal(await upload(fixture.farm.apiUrl, alphaKey, { kind: 'controlnet', name: 'alpha-cn', base_family: 'sd1' }, { file: await readFile(path.join(net, 'model.onnx')), config: await readFile(path.join(net, 'config.json')) }), 201);
    const unit = { model: 'alpha-cn', image: picture, preprocessor: 'none' };
    // Alpha can use both once a worker synced them: the refusals below are about ownership, not timing.
    const deadline = Date.now() + 30_000;
    let own = await alpha.request<Refusal>('POST', '/v1/generations', { ...BASE, ip_adapter: { ...IP, model: 'alpha-ip' }, controlnets: [unit] });
    while (own.status !== 202 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      own = await alpha.request<Refusal>('POST', '/v1/generations', { ...BASE, ip_adapter: { ...IP, model: 'alpha-ip' }, controlnets: [unit] });
    }
    table.record("alpha uses its own private IP-Adapter + ControlNet", '202', own.status);
    assert.equal(own.status, 202, JSON.stringify(own.body));
    for (const [name, netName] of [
      ['alpha-ip', 'alpha-cn'],
      ['alpha/alpha-ip', 'alpha/alpha-cn'],
      ['ALPHA-IP', 'Alpha-Cn'],
      ['../tenants/alpha/ip_adapters/alpha-ip', '../alpha-cn'],
    ]) {
      const response = await beta.request<Refusal>('POST', '/v1/generations', { ...BASE, ip_adapter: { ...IP, model: name }, controlnets: [{ ...unit, model: netName }] });
      table.record(`beta uses ip_adapter.model=${name}, controlnets.0.model=${netName}`, '400 controlnets.0.model,ip_adapter.model', `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.equal(response.status, 400, name);
      assert.deepEqual(fieldsOf(response.body).sort(), ['controlnets.0.model', 'ip_adapter.model'], name);
      assert.ok(!(response.body.error?.details ?? []).some((detail) => /available: .*alpha-/.test(detail.message)), "alpha's models are not listed to beta");
    }
  });

  it('treats field names and model names case-sensitively: other casings are unknown fields or unknown models, never ignored', async () => {
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['IP_Adapter', { ...BASE, IP_Adapter: IP }, 'IP_Adapter'],
      ['ipAdapter', { ...BASE, ipAdapter: IP }, 'ipAdapter'],
      ['ip_adapter.Model', { ...BASE, ip_adapter: { ...IP, Model: 'ip-tiny' } }, 'ip_adapter.Model'],
      ['ip_adapter.image (singular)', { ...BASE, ip_adapter: { model: 'ip-tiny', image: picture } }, 'ip_adapter.image'],
      ['model IP-TINY', { ...BASE, ip_adapter: { ...IP, model: 'IP-TINY' } }, 'ip_adapter.model'],
    ];
    for (const [probe, body, field] of probes) {
      const response = await alpha.request<Refusal>('POST', '/v1/generations', body);
      table.record(`POST /v1/generations ${probe}`, `400 ${field}`, `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.equal(response.status, 400, probe);
      assert.ok(fieldsOf(response.body).includes(field), `${probe}: ${fieldsOf(response.body).join(',')}`);
    }
  });

  it('refuses loopback, private and metadata image prompt URLs with a 400 naming ip_adapter.images.<i>, on every path', async () => {
    const spellings = [
      `http://127.0.0.1:${internalPort}/i.png`,
      `http://2130706433:${internalPort}/i.png`,
      `http://[::1]:${internalPort}/i.png`,
      `http://[::ffff:127.0.0.1]:${internalPort}/i.png`,
      `http://localhost:${internalPort}/i.png`,
      'http://10.0.0.1/i.png',
      'http://192.168.1.1/i.png',
      'http://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
    ];
    for (const url of spellings) {
      const response = await alpha.request<Refusal>('POST', '/v1/generations', { ...BASE, ip_adapter: { model: 'ip-tiny', images: [url] } });
      table.record(`ip_adapter.images.0=${url}`, '400 ip_adapter.images.0', `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.equal(response.status, 400, url);
      assert.deepEqual(fieldsOf(response.body), ['ip_adapter.images.0'], url);
    }
    const batch = await alpha.request<Refusal>('POST', '/v1/batches', { requests: [BASE, { ...BASE, ip_adapter: { model: 'ip-tiny', images: [picture, `http://0x7f000001:${internalPort}/i.png`] } }] });
    table.record('POST /v1/batches requests.1.ip_adapter.images.1=0x7f000001', '400 requests.1.ip_adapter.images.1', `${batch.status} ${fieldsOf(batch.body).join(',')}`);
    assert.deepEqual(fieldsOf(batch.body), ['requests.1.ip_adapter.images.1']);
    const a1111 = await alpha.request<Refusal>('POST', '/sdapi/v1/txt2img', {
      prompt: 'x',
      width: 64,
      height: 64,
      override_settings: { sd_model_checkpoint: 'cn-ip' },
      alwayson_scripts: { controlnet: { args: [{ module: 'ip-adapter_clip_sd15', model: 'ip-tiny', image: `http://[::1]:${internalPort}/i.png` }] } },
    });
    table.record('POST /sdapi/v1/txt2img IP-Adapter unit image=http://[::1]', '400 alwayson_scripts.controlnet.args.0.image', `${a1111.status} ${fieldsOf(a1111.body).join(',')}`);
    assert.deepEqual(fieldsOf(a1111.body), ['alwayson_scripts.controlnet.args.0.image']);
    table.record('requests that reached the internal service', '0', internalHits);
    assert.equal(internalHits, 0);
  });

  it('answers hostile input with a 400 naming the field: 100 images, NaN/huge/negative scales, giant and fake images, absurd names', async () => {
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['100 images', { ...BASE, ip_adapter: { model: 'ip-tiny', images: Array.from({ length: 100 }, () => picture) } }, 'ip_adapter.images'],
      ['scale "NaN"', { ...BASE, ip_adapter: { ...IP, scale: 'NaN' } }, 'ip_adapter.scale'],
      ['scale 1e308', { ...BASE, ip_adapter: { ...IP, scale: 1e308 } }, 'ip_adapter.scale'],
      ['scale -1', { ...BASE, ip_adapter: { ...IP, scale: -1 } }, 'ip_adapter.scale'],
      ['image 40000×40000 (header)', { ...BASE, ip_adapter: { model: 'ip-tiny', images: [pngDeclaring(40_000, 40_000).toString('base64')] } }, 'ip_adapter.images.0'],
      ['image not an image', { ...BASE, ip_adapter: { model: 'ip-tiny', images: [Buffer.from('MZ\u0090\u0000 definitely not a png').toString('base64')] } }, 'ip_adapter.images.0'],
      ['image an object', { ...BASE, ip_adapter: { model: 'ip-tiny', images: [{ url: 'x' }] } }, 'ip_adapter.images.0'],
      ['images a string', { ...BASE, ip_adapter: { model: 'ip-tiny', images: picture } }, 'ip_adapter.images'],
      ['model name 10k chars', { ...BASE, ip_adapter: { ...IP, model: 'x'.repeat(10_000) } }, 'ip_adapter.model'],
      ['model name as a path', { ...BASE, ip_adapter: { ...IP, model: '../../etc' } }, 'ip_adapter.model'],
    ];
    for (const [probe, body, field] of probes) {
      const response = await alpha.request<Refusal>('POST', '/v1/generations', body);
      table.record(probe, `400 ${field}`, `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.equal(response.status, 400, `${probe}: ${JSON.stringify(response.body).slice(0, 300)}`);
      assert.ok(fieldsOf(response.body).includes(field), `${probe}: ${fieldsOf(response.body).join(',')}`);
    }
    // A literal NaN is not JSON: the body parser refuses it before any field is read.
    const nan = await rawRequest(fixture.farm.apiUrl, {
      method: 'POST',
      path: '/v1/generations',
      headers: { authorization: `Bearer ${alphaKey}`, 'content-type': 'application/json' },
      body: `{"prompt":"x","model":"cn-ip","ip_adapter":{"model":"ip-tiny","images":["${picture}"],"scale":NaN}}`,
      timeoutMs: 5_000,
    });
    table.record('scale NaN (bare, invalid JSON)', '400', nan.status);
    assert.equal(nan.status, 400);
  });
});
