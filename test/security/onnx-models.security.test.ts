import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { controlNetGraph, samEncoderGraph, upscalerGraph } from '@atelier/registry/testing';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

const table = new ProbeTable('ONNX models in the registry (ControlNets, upscalers, SAM…)');
const MAX_MODEL_BYTES = 1024 * 1024;

interface Answer {
  status: number;
  body: { id?: string; files?: Array<{ sha256: string }>; error?: { code: string; details?: Array<{ field: string }> } };
}

async function upload(apiUrl: string, key: string | undefined, fields: Record<string, string>, files: Record<string, Uint8Array>): Promise<Answer> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  for (const [name, bytes] of Object.entries(files)) form.set(name, new Blob([Buffer.from(bytes)]), `${name}.onnx`);
  const response = await fetch(`${apiUrl}/v1/models`, { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {}, body: form });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const fields = (answer: Answer): string => (answer.body.error?.details ?? []).map((detail) => detail.field).join(',');

describe('security: ONNX model imports are authenticated, per tenant, SSRF-guarded, size-capped and validated (real farm)', () => {
  let fixture: FarmFixture;
  let alpha: TestApiClient;
  let beta: TestApiClient;
  let alphaKey: string;
  let betaKey: string;
  let alphaSecret: string;

  before(async () => {
    fixture = await startFarmFixture({ MAX_MODEL_BYTES: String(MAX_MODEL_BYTES) });
    const scopes = ['generate', 'models:write'];
    alphaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'alpha', scopes })).body.key;
    betaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'beta', scopes })).body.key;
    alpha = new TestApiClient(fixture.farm.apiUrl, alphaKey);
    beta = new TestApiClient(fixture.farm.apiUrl, betaKey);
    const secret = await upload(fixture.farm.apiUrl, alphaKey, { kind: 'controlnet', name: 'secret' }, { file: controlNetGraph({ textWidth: 768 }) });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    alphaSecret = secret.body.files?.[0].sha256 ?? '';
  });
  after(async () => {
    await fixture?.stop();
  });

  it('answers 401 without a key; other path casings are 401 or an unknown route, never data', async () => {
    const probes: Array<[string, string, readonly number[], () => Promise<Response>]> = [
      ['POST', '/v1/models (controlnet upload)', [401], async () => {
        const form = new FormData();
        form.set('kind', 'controlnet');
        form.set('name', 'anon');
        form.set('file', new Blob([Buffer.from(controlNetGraph())]), 'model.onnx');
        return fetch(`${fixture.farm.apiUrl}/v1/models`, { method: 'POST', body: form });
      }],
      ['GET', '/v1/models?kind=controlnet', [401], () => fetch(`${fixture.farm.apiUrl}/v1/models?kind=controlnet`)],
      ['DELETE', '/v1/models/controlnet:secret', [401], () => fetch(`${fixture.farm.apiUrl}/v1/models/controlnet:secret`, { method: 'DELETE' })],
      ['GET', '/V1/MODELS?kind=controlnet', [401, 404], () => fetch(`${fixture.farm.apiUrl}/V1/MODELS?kind=controlnet`)],
      ['GET', '/v1/Models/controlnet:secret', [401, 404], () => fetch(`${fixture.farm.apiUrl}/v1/Models/controlnet:secret`)],
      ['DELETE', '/V1/models/controlnet:secret', [401, 404], () => fetch(`${fixture.farm.apiUrl}/V1/models/controlnet:secret`, { method: 'DELETE' })],
    ];
    for (const [method, path, expected, run] of probes) {
      const response = await run();
      const text = await response.text();
      table.record(`${method} ${path} without a key`, expected.join(' or '), response.status);
      assert.ok(expected.includes(response.status), `${method} ${path}: ${response.status}`);
      assert.doesNotMatch(text, /sha256|controlnet_cond|base_family/, 'no model data without a key');
    }
    assert.equal((await alpha.request('GET', '/v1/models/controlnet:secret')).status, 200, 'the unauthenticated DELETE removed nothing');
  });

  it("keeps a tenant's private ControlNet invisible, unusable and undeletable for others", async () => {
    const listed = await beta.request<{ data: Array<{ id: string }> }>('GET', '/v1/models?kind=controlnet');
    table.record("beta lists controlnets: alpha's private one", 'absent', listed.body.data.some((entry) => entry.id === 'controlnet:secret') ? 'listed' : 'absent');
    assert.ok(!listed.body.data.some((entry) => entry.id === 'controlnet:secret'));
    const got = await beta.request('GET', '/v1/models/controlnet:secret');
    table.record("beta GET /v1/models/controlnet:secret (alpha's)", '404', got.status);
    assert.equal(got.status, 404);
    const deleted = await beta.request('DELETE', '/v1/models/controlnet:secret');
    table.record("beta DELETE alpha's private controlnet", '404', deleted.status);
    assert.equal(deleted.status, 404);
    const own = await upload(fixture.farm.apiUrl, betaKey, { kind: 'controlnet', name: 'secret' }, { file: controlNetGraph({ textWidth: 1024 }) });
    table.record("beta imports a private controlnet named like alpha's", "201, alpha's untouched", own.status);
    assert.equal(own.status, 201);
    assert.equal((await alpha.request<{ files: Array<{ sha256: string }>; base_family: string }>('GET', '/v1/models/controlnet:secret')).body.files[0].sha256, alphaSecret);
    assert.equal((await beta.request<{ base_family: string }>('GET', '/v1/models/controlnet:secret')).body.base_family, 'sd2');
    // Workers announce private models as <tenant>/<name>: the API's availability check never resolves alpha's for beta.
    await waitUntil(async () => {
      const names = (await fixture.api.request<{ data: Array<{ onnx_models: Array<{ name: string }> }> }>('GET', '/v1/workers')).body.data.flatMap((worker) => worker.onnx_models.map((model) => model.name));
      return names.includes('alpha/secret') && names.includes('beta/secret');
    }, 30_000, 'workers to announce both private ControlNets');
    const names = (await fixture.api.request<{ data: Array<{ onnx_models: Array<{ name: string }> }> }>('GET', '/v1/workers')).body.data.flatMap((worker) => worker.onnx_models.map((model) => model.name));
    table.record('worker announcement of private controlnets', 'alpha/secret, beta/secret (no bare "secret")', names.filter((name) => name.endsWith('secret')).sort().join(', '));
    assert.ok(!names.includes('secret'));
    const taken = await upload(fixture.farm.apiUrl, alphaKey, { kind: 'upscaler', name: 'shared-x4', visibility: 'public' }, { file: upscalerGraph({ scale: 4, side: 16 }) });
    assert.equal(taken.status, 201);
    const stolen = await upload(fixture.farm.apiUrl, betaKey, { kind: 'upscaler', name: 'shared-x4', visibility: 'public' }, { file: upscalerGraph({ scale: 2, side: 16 }) });
    table.record("beta overwrites alpha's public upscaler name", '409 naming name', `${stolen.status} ${fields(stolen)}`);
    assert.equal(stolen.status, 409);
    const removed = await beta.request('DELETE', '/v1/models/upscaler:shared-x4');
    table.record("beta deletes alpha's public upscaler", '404', removed.status);
    assert.equal(removed.status, 404);
  });

  it('refuses https imports of loopback, private and metadata addresses with 400 naming the field', async () => {
    const probes: Array<[Record<string, unknown>, string]> = [
      [{ kind: 'controlnet', name: 'ssrf', source: 'https://127.0.0.1/model.onnx' }, 'source'],
      [{ kind: 'upscaler', name: 'ssrf', source: 'https://10.0.0.7/model.onnx', scale: 4 }, 'source'],
      [{ kind: 'face_restorer', name: 'ssrf', source: 'http://169.254.169.254/latest/meta-data/' }, 'source'],
      [{ kind: 'segmenter', name: 'ssrf', sources: { encoder: 'https://example.com/encoder.onnx', decoder: 'https://[::1]/decoder.onnx' } }, 'sources.decoder'],
      [{ kind: 'controlnet', name: 'ssrf', source: `s3://${fixture.s3.bucket}/registry/tenants/beta/controlnets/secret/model.onnx` }, 'source'],
    ];
    for (const [body, field] of probes) {
      const answer = await alpha.request<Answer['body']>('POST', '/v1/models', body);
      const observed = `${answer.status} ${(answer.body.error?.details ?? []).map((detail) => detail.field).join(',')}`;
      table.record(`import ${String(body.kind)} from ${JSON.stringify(body.source ?? body.sources)}`, `4xx naming ${field}`, observed);
      assert.ok(answer.status === 400 || (answer.status === 404 && String(body.source).startsWith('s3://')), observed);
      assert.equal(fields({ status: answer.status, body: answer.body }), field);
    }
  });

  it('refuses hostile names with 400 naming name', async () => {
    for (const name of ['../x', '..', 'a/b', '.hidden', '..%2Fx', 'x'.repeat(101), 'con\u0000x', '']) {
      const answer = await upload(fixture.farm.apiUrl, alphaKey, { kind: 'controlnet', name }, { file: controlNetGraph() });
      table.record(`controlnet named ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}`, '400 naming name', `${answer.status} ${fields(answer)}`);
      assert.equal(answer.status, 400, name);
      assert.equal(fields(answer), 'name');
    }
  });

  it('answers 413 to an upload over MAX_MODEL_BYTES, in any file field', async () => {
    for (const field of ['file', 'decoder']) {
      const answer = await upload(fixture.farm.apiUrl, alphaKey, { kind: 'segmenter', name: 'huge' }, { [field]: new Uint8Array(MAX_MODEL_BYTES + 4096) });
      table.record(`upload of ${MAX_MODEL_BYTES + 4096} bytes in "${field}" (limit ${MAX_MODEL_BYTES})`, `413 naming ${field}`, `${answer.status} ${fields(answer)}`);
      assert.equal(answer.status, 413);
      assert.equal(fields(answer), field);
    }
  });

  it('refuses non-ONNX files, graphs of the wrong kind and missing facts with 400 naming the field', async () => {
    const probes: Array<[string, Record<string, string>, Record<string, Uint8Array>, string]> = [
      ['a text file as a controlnet', { kind: 'controlnet', name: 'text' }, { file: Buffer.from('just some text, not a protobuf') }, 'file'],
      ['an upscaler graph as a controlnet', { kind: 'controlnet', name: 'wrong' }, { file: upscalerGraph({ scale: 4 }) }, 'file'],
      ['a controlnet graph as an upscaler', { kind: 'upscaler', name: 'wrong', scale: '4' }, { file: controlNetGraph() }, 'file'],
      ['a segmenter without its decoder', { kind: 'segmenter', name: 'half' }, { encoder: samEncoderGraph() }, 'decoder'],
      ['a segmenter whose decoder is an encoder', { kind: 'segmenter', name: 'twice' }, { encoder: samEncoderGraph(), decoder: samEncoderGraph() }, 'decoder'],
      ['a controlnet of unknown text width, no base_family', { kind: 'controlnet', name: 'narrow' }, { file: controlNetGraph({ textWidth: 32 }) }, 'base_family'],
      ['an SD 1.x controlnet claimed as sdxl', { kind: 'controlnet', name: 'liar', base_family: 'sdxl' }, { file: controlNetGraph({ textWidth: 768 }) }, 'base_family'],
      ['a dynamic upscaler without scale', { kind: 'upscaler', name: 'dyn' }, { file: upscalerGraph({ scale: 2 }) }, 'scale'],
      ['a controlnet with config that is not JSON', { kind: 'controlnet', name: 'cfg', config: '{not json' }, { file: controlNetGraph() }, 'config'],
      ['a file in an unknown field', { kind: 'controlnet', name: 'odd' }, { weights: controlNetGraph() }, 'weights'],
      ['a second graph on a lora import', { kind: 'lora', name: 'odd' }, { decoder: controlNetGraph() }, 'decoder'],
      ['an unknown kind', { kind: 'ControlNet', name: 'case' }, { file: controlNetGraph() }, 'kind'],
    ];
    for (const [what, form, files, field] of probes) {
      const answer = await upload(fixture.farm.apiUrl, alphaKey, form, files);
      table.record(what, `400 naming ${field}`, `${answer.status} ${fields(answer)}`);
      assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      assert.equal(fields(answer), field, what);
    }
    const listed = await alpha.request<{ data: Array<{ id: string }> }>('GET', '/v1/models');
    assert.ok(!listed.body.data.some((entry) => ['controlnet:text', 'controlnet:wrong', 'upscaler:wrong', 'segmenter:half', 'controlnet:narrow'].includes(entry.id)), 'nothing refused was stored');
  });
});
