import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { controlNetGraph, samDecoderGraph, samEncoderGraph, upscalerGraph, writeControlNetFolder } from '@atelier/registry/testing';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

interface OnnxEntry {
  id: string;
  kind: string;
  name: string;
  origin: string;
  tenant?: string;
  base_family?: string;
  has_conditioning_scale?: boolean;
  scale?: number;
  decoder_layout?: string;
  files?: Array<{ role: string; path: string; sha256: string }>;
}
interface Announced {
  kind: string;
  name: string;
  base_family?: string;
}

async function upload(apiUrl: string, key: string, fields: Record<string, string>, files: Record<string, Uint8Array>): Promise<{ status: number; body: OnnxEntry & { error?: { details?: Array<{ field: string }> } } }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  for (const [name, bytes] of Object.entries(files)) form.set(name, new Blob([Buffer.from(bytes)]), `${name}.onnx`);
  const response = await fetch(`${apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: response.status, body: (await response.json()) as OnnxEntry };
}

describe('ONNX model registry: ControlNets, upscalers and SAM models imported, listed, synced and announced (real farm)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let alpha: TestApiClient;
  let alphaKey: string;

  const announced = async (): Promise<Announced[]> => (await fixture.api.request<{ data: Array<{ onnx_models: Announced[] }> }>('GET', '/v1/workers')).body.data.flatMap((worker) => worker.onnx_models);

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'onnx-models-dir-'));
    // How operators ship a model in the image: MODELS_DIR/controlnets/<name>/model.onnx + config.json.
    await writeControlNetFolder(path.join(modelsDir, 'controlnets', 'shipped-xl'), { textWidth: 2048, xl: true, config: { _class_name: 'ControlNetModel', cross_attention_dim: 2048, addition_embed_type: 'text_time' } });
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir });
    alphaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'alpha', scopes: ['generate', 'train', 'models:write'] })).body.key;
    alpha = new TestApiClient(fixture.farm.apiUrl, alphaKey);
  });
  after(async () => {
    await fixture?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('imports a ControlNet by upload, lists it under kind=controlnet, and workers sync and announce it with its family', async () => {
    const uploaded = await upload(fixture.farm.apiUrl, fixture.farm.apiKey, { kind: 'controlnet', name: 'e2e-canny', visibility: 'public', licence: 'openrail' }, { file: controlNetGraph({ textWidth: 768 }) });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    assert.equal(uploaded.body.id, 'controlnet:e2e-canny');
    assert.equal(uploaded.body.base_family, 'sd1');
    assert.equal(uploaded.body.has_conditioning_scale, true);
    assert.deepEqual(uploaded.body.files?.map((file) => file.path), ['model.onnx', 'config.json']);
    const listed = await fixture.api.request<{ data: OnnxEntry[] }>('GET', '/v1/models?kind=controlnet');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.data.map((entry) => [entry.id, entry.origin, entry.base_family]),
      [
        ['controlnet:e2e-canny', 'registry', 'sd1'],
        ['controlnet:shipped-xl', 'worker', 'sdxl'],
      ],
    );
    await waitUntil(async () => (await announced()).some((model) => model.kind === 'controlnet' && model.name === 'e2e-canny'), 30_000, 'the worker to sync and announce the ControlNet');
    assert.deepEqual((await announced()).filter((model) => model.kind === 'controlnet'), [
      { kind: 'controlnet', name: 'e2e-canny', base_family: 'sd1', cross_attention_dim: 768 },
      { kind: 'controlnet', name: 'shipped-xl', base_family: 'sdxl', cross_attention_dim: 2048 },
    ]);
    // What the API's submit-time check reads: the classes' announcements, kept at zero workers too.
    const classes = await fixture.api.request<{ data: Array<{ onnx_models: Announced[] }> }>('GET', '/v1/workers/classes');
    assert.ok(classes.body.data.some((record) => record.onnx_models.some((model) => model.name === 'e2e-canny' && model.base_family === 'sd1')));
    const fetched = await fixture.api.request<OnnxEntry>('GET', '/v1/models/controlnet:e2e-canny');
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.base_family, 'sd1');
  });

  it('imports a two-graph segmenter by upload and an upscaler from the tenant\'s own s3:// upload; private ones are announced as <tenant>/<name>', async () => {
    const sam = await upload(fixture.farm.apiUrl, alphaKey, { kind: 'segmenter', name: 'mobile-sam' }, { encoder: samEncoderGraph(), decoder: samDecoderGraph('sam') });
    assert.equal(sam.status, 201, JSON.stringify(sam.body));
    assert.equal(sam.body.decoder_layout, 'sam');
    assert.deepEqual(sam.body.files?.map((file) => file.path), ['encoder.onnx', 'decoder.onnx']);
    const ticket = await alpha.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(upscalerGraph({ scale: 4, side: 32 })) })).status, 200);
    const upscaler = await alpha.request<OnnxEntry>('POST', '/v1/models', { kind: 'upscaler', name: 'x4', source: `s3://${fixture.s3.bucket}/uploads/alpha/${ticket.body.id}.zip` });
    assert.equal(upscaler.status, 201, JSON.stringify(upscaler.body));
    assert.equal(upscaler.body.scale, 4);
    assert.equal(upscaler.body.tenant, 'alpha');
    assert.deepEqual((await alpha.request<{ data: OnnxEntry[] }>('GET', '/v1/models?kind=upscaler')).body.data.map((entry) => entry.id), ['upscaler:x4']);
    assert.deepEqual((await fixture.api.request<{ data: OnnxEntry[] }>('GET', '/v1/models?kind=upscaler')).body.data, [], 'another tenant does not see alpha\'s private upscaler');
    await waitUntil(async () => (await announced()).some((model) => model.name === 'alpha/x4'), 30_000, 'the worker to announce alpha\'s private models');
    assert.ok((await announced()).some((model) => model.kind === 'segmenter' && model.name === 'alpha/mobile-sam'));
  });

  it('deletes an own model: it leaves the listing and the workers\' announcements', async () => {
    const deleted = await alpha.request('DELETE', '/v1/models/upscaler:x4');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await alpha.request('GET', '/v1/models/upscaler:x4')).status, 404);
    await waitUntil(async () => !(await announced()).some((model) => model.name === 'alpha/x4'), 30_000, 'the worker to drop the deleted model');
  });
});
