import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { TestApiClient } from '../support/api-client.js';
import { controlNetModelsDir, edgePicture } from '../support/controlnet-models.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { pngDeclaring } from '../support/png-header.js';
import { ProbeTable } from '../support/probe-table.js';
import { rawRequest } from '../support/raw-request.js';

const table = new ProbeTable('ControlNet requests');
const picture = edgePicture();
const BASE = { model: 'cn-tiny', prompt: 'a probe', img_width: 64, img_height: 64, num_inference_steps: 3, scheduler: 'Euler' } as const;
const UNIT = { model: 'canny', image: picture.toString('base64'), preprocessor: 'canny' } as const;

interface Refusal {
  error?: { code: string; details?: Array<{ field: string; message: string }> };
  errors?: Array<{ field: string; message: string }>;
}
const fieldsOf = (body: Refusal): string[] => (body.error?.details ?? body.errors ?? []).map((detail) => detail.field);

describe('security: ControlNet fields (keys, tenants, casings, internal URLs, hostile input; real farm)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let internal: Server;
  let internalHits = 0;
  let internalPort = 0;
  let alpha: TestApiClient;
  let beta: TestApiClient;
  let betaKey: string;

  before(async () => {
    modelsDir = await controlNetModelsDir();
    // An internal service that would happily serve a control image: it must never be reached.
    internal = createServer((_request, response) => {
      internalHits++;
      response.writeHead(200, { 'content-type': 'image/png' }).end(picture);
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    const address = internal.address();
    internalPort = typeof address === 'object' && address ? address.port : 0;
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, RATE_LIMIT_PER_MINUTE: '1000' });
    const keyOf = async (tenant: string): Promise<string> => (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant, scopes: ['generate'] })).body.key;
    alpha = new TestApiClient(fixture.farm.apiUrl, await keyOf('alpha'));
    betaKey = await keyOf('beta');
    beta = new TestApiClient(fixture.farm.apiUrl, betaKey);
  });
  after(async () => {
    internal?.close();
    await fixture?.stop();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  it('needs a key: a ControlNet request without one is 401 on every path', async () => {
    for (const [path, body] of [
      ['/v1/generations', { ...BASE, controlnets: [UNIT] }],
      ['/v1/batches', { requests: [{ ...BASE, controlnets: [UNIT] }] }],
      ['/sdapi/v1/txt2img', { prompt: 'x', alwayson_scripts: { controlnet: { args: [{ enabled: true, module: 'canny', model: 'canny', image: UNIT.image }] } } }],
    ] as const) {
      const response = await fetch(`${fixture.farm.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      table.record(`POST ${path} with controlnets, no key`, '401', response.status);
      assert.equal(response.status, 401, path);
    }
  });

  it("hides another tenant's ControlNet generation and its control map: 404 exactly like a missing id", async () => {
    const submitted = await alpha.request<GenerationView>('POST', '/v1/generations', { ...BASE, controlnets: [UNIT] });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await alpha.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const control = done.outputs.find((output) => output.kind === 'control');
    assert.ok(control?.url, 'alpha sees its control map');
    assert.equal((await fetch(control.url)).status, 200);

    const missing = await beta.request<Refusal>('GET', '/v1/generations/gen_doesnotexist');
    for (const [probe, path] of [
      ["beta reads alpha's ControlNet generation", `/v1/generations/${done.id}`],
      ["beta streams alpha's ControlNet generation", `/v1/generations/${done.id}/events`],
    ] as const) {
      const response = await rawRequest(fixture.farm.apiUrl, { method: 'GET', path, headers: { authorization: `Bearer ${betaKey}` }, timeoutMs: 5_000 });
      table.record(probe, '404 like a missing id', response.status);
      assert.equal(response.status, 404, `${probe}: ${response.body}`);
    }
    const listed = await beta.request<{ data: GenerationView[] }>('GET', '/v1/generations?limit=100');
    table.record("beta lists generations: alpha's control maps absent", '0 of alpha', listed.body.data.filter((view) => view.id === done.id).length);
    assert.ok(!listed.body.data.some((view) => view.id === done.id));
    assert.equal(missing.status, 404);
  });

  it('treats field names case-sensitively: other casings are unknown fields, never ignored', async () => {
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['Controlnets', { ...BASE, Controlnets: [UNIT] }, 'Controlnets'],
      ['controlNets', { ...BASE, controlNets: [UNIT] }, 'controlNets'],
      ['controlnets.0.Model', { ...BASE, controlnets: [{ ...UNIT, Model: 'canny' }] }, 'controlnets.0.Model'],
      ['GUESS_MODE', { ...BASE, GUESS_MODE: true }, 'GUESS_MODE'],
      ['preprocessor CANNY', { ...BASE, controlnets: [{ ...UNIT, preprocessor: 'CANNY' }] }, 'controlnets.0.preprocessor'],
    ];
    for (const [probe, body, field] of probes) {
      const response = await alpha.request<Refusal>('POST', '/v1/generations', body);
      table.record(`POST /v1/generations ${probe}`, `400 ${field}`, `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.equal(response.status, 400, probe);
      assert.deepEqual(fieldsOf(response.body), [field], probe);
    }
    const a1111 = await alpha.request<Refusal>('POST', '/sdapi/v1/txt2img', { prompt: 'x', alwayson_scripts: { ControlNet: { args: [] } } });
    table.record('POST /sdapi/v1/txt2img alwayson_scripts.ControlNet', '400 alwayson_scripts.ControlNet', `${a1111.status} ${fieldsOf(a1111.body).join(',')}`);
    assert.equal(a1111.status, 400);
    assert.deepEqual(fieldsOf(a1111.body), ['alwayson_scripts.ControlNet']);
  });

  it('refuses loopback, private and metadata control image URLs with a 400 naming controlnets.<i>.image, on every path', async () => {
    const spellings = [
      `http://127.0.0.1:${internalPort}/c.png`,
      `http://2130706433:${internalPort}/c.png`,
      `http://0x7f000001:${internalPort}/c.png`,
      `http://[::1]:${internalPort}/c.png`,
      `http://[::ffff:127.0.0.1]:${internalPort}/c.png`,
      `http://localhost:${internalPort}/c.png`,
      'http://10.0.0.1/c.png',
      'http://192.168.1.1/c.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://user:secret@example.com/c.png',
    ];
    for (const url of spellings) {
      const response = await alpha.request<Refusal>('POST', '/v1/generations', { ...BASE, controlnets: [UNIT, { ...UNIT, image: url }] });
      table.record(`controlnets.1.image=${url}`, '400 controlnets.1.image', `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.equal(response.status, 400, url);
      assert.deepEqual(fieldsOf(response.body), ['controlnets.1.image'], url);
    }
    const batch = await alpha.request<Refusal>('POST', '/v1/batches', { requests: [BASE, { ...BASE, controlnets: [{ ...UNIT, image: `http://0x7f000001:${internalPort}/c.png` }] }] });
    table.record('POST /v1/batches requests.1.controlnets.0.image=0x7f000001', '400 requests.1.controlnets.0.image', `${batch.status} ${fieldsOf(batch.body).join(',')}`);
    assert.deepEqual(fieldsOf(batch.body), ['requests.1.controlnets.0.image']);
    const a1111 = await alpha.request<Refusal>('POST', '/sdapi/v1/txt2img', {
      prompt: 'x',
      width: 64,
      height: 64,
      override_settings: { sd_model_checkpoint: 'cn-tiny' },
      alwayson_scripts: { controlnet: { args: [{ enabled: true, module: 'canny', model: 'canny', image: `http://[::1]:${internalPort}/c.png` }] } },
    });
    table.record('POST /sdapi/v1/txt2img unit image=http://[::1]', '400 alwayson_scripts.controlnet.args.0.image', `${a1111.status} ${fieldsOf(a1111.body).join(',')}`);
    assert.deepEqual(fieldsOf(a1111.body), ['alwayson_scripts.controlnet.args.0.image']);
    for (const scheme of ['file:///etc/passwd', 'ftp://example.com/c.png', 'gopher://127.0.0.1:6379/_INFO']) {
      const response = await alpha.request<Refusal>('POST', '/v1/generations', { ...BASE, controlnets: [{ ...UNIT, image: scheme }] });
      table.record(`controlnets.0.image=${scheme}`, '400 controlnets.0.image', `${response.status} ${fieldsOf(response.body).join(',')}`);
      assert.deepEqual(fieldsOf(response.body), ['controlnets.0.image']);
    }
    table.record('requests that reached the internal service', '0', internalHits);
    assert.equal(internalHits, 0);
  });

  it('answers hostile input with a 4xx naming the field: 100 ControlNets, NaN/huge/negative scales, giant and fake images, absurd options', async () => {
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['100 controlnets', { ...BASE, controlnets: Array.from({ length: 100 }, () => UNIT) }, 'controlnets'],
      ['conditioning_scale "NaN"', { ...BASE, controlnets: [{ ...UNIT, conditioning_scale: 'NaN' }] }, 'controlnets.0.conditioning_scale'],
      ['conditioning_scale 1e308', { ...BASE, controlnets: [{ ...UNIT, conditioning_scale: 1e308 }] }, 'controlnets.0.conditioning_scale'],
      ['conditioning_scale -1', { ...BASE, controlnets: [{ ...UNIT, conditioning_scale: -1 }] }, 'controlnets.0.conditioning_scale'],
      ['guidance_end "Infinity"', { ...BASE, controlnets: [{ ...UNIT, guidance_end: 'Infinity' }] }, 'controlnets.0.guidance_end'],
      ['window start = end', { ...BASE, controlnets: [{ ...UNIT, guidance_start: 0.4, guidance_end: 0.4 }] }, 'controlnets.0.guidance_start'],
      ['detect_resolution 1e9', { ...BASE, controlnets: [{ ...UNIT, preprocessor_options: { detect_resolution: 1e9 } }] }, 'controlnets.0.preprocessor_options.detect_resolution'],
      ['low_threshold -5', { ...BASE, controlnets: [{ ...UNIT, preprocessor_options: { low_threshold: -5 } }] }, 'controlnets.0.preprocessor_options.low_threshold'],
      ['unknown preprocessor option', { ...BASE, controlnets: [{ ...UNIT, preprocessor_options: { __proto__x: 1 } }] }, 'controlnets.0.preprocessor_options.__proto__x'],
      ['model name 10k chars', { ...BASE, controlnets: [{ ...UNIT, model: 'x'.repeat(10_000) }] }, 'controlnets.0.model'],
      ['model name as a path', { ...BASE, controlnets: [{ ...UNIT, model: '../../etc' }] }, 'controlnets.0.model'],
      ['control image 40000×40000 (header)', { ...BASE, controlnets: [{ ...UNIT, image: pngDeclaring(40_000, 40_000).toString('base64') }] }, 'controlnets.0.image'],
      ['control image not an image', { ...BASE, controlnets: [{ ...UNIT, image: Buffer.from('MZ\u0090\u0000 definitely not a png').toString('base64') }] }, 'controlnets.0.image'],
      ['control image an object', { ...BASE, controlnets: [{ ...UNIT, image: { url: 'x' } }] }, 'controlnets.0.image'],
      ['controlnets not an array', { ...BASE, controlnets: { 0: UNIT } }, 'controlnets'],
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
      headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json' },
      body: `{"prompt":"x","controlnets":[{"model":"canny","image":"${UNIT.image}","conditioning_scale":NaN}]}`,
      timeoutMs: 5_000,
    });
    table.record('conditioning_scale NaN (bare, invalid JSON)', '400', nan.status);
    assert.equal(nan.status, 400);
    const a1111 = await alpha.request<Refusal>('POST', '/sdapi/v1/txt2img', {
      prompt: 'x',
      override_settings: { sd_model_checkpoint: 'cn-tiny' },
      alwayson_scripts: { controlnet: { args: Array.from({ length: 100 }, () => ({ enabled: true, module: 'canny', model: 'canny', image: UNIT.image })) } },
    });
    table.record('A1111 100 ControlNet units', '400 alwayson_scripts.controlnet.args', `${a1111.status} ${fieldsOf(a1111.body).join(',')}`);
    assert.equal(a1111.status, 400);
    assert.deepEqual(fieldsOf(a1111.body), ['alwayson_scripts.controlnet.args']);
  });
});
