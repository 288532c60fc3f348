import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDemoVariant } from '@atelier/demo-model';
import { S3Storage } from '@atelier/storage';
import type { GenerationView } from '@atelier/contracts';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng } from '../support/png.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

/** A kohya-format LoRA whose keys target a layer the demo UNet does not have: it must be reported, not dropped. */
function kohyaLora(): Uint8Array {
  const rank = 2;
  return serializeSafetensors(
    new Map([
      ['lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight', float32Tensor(new Float32Array(rank * 8).fill(0.1), [rank, 8])],
      ['lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight', float32Tensor(new Float32Array(8 * rank).fill(0.1), [8, rank])],
      ['lora_unet_down_blocks_0_attentions_0_proj_in.alpha', float32Tensor(new Float32Array([rank]), [])],
    ]),
    { ss_network_dim: String(rank) },
  );
}

async function upload(apiUrl: string, key: string, fields: Record<string, string>, file: Uint8Array, filename: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set('file', new Blob([Buffer.from(file)]), filename);
  const response = await fetch(`${apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('model registry: import adapters safely, use them per request (real farm)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture({ MODELS_STORAGE_PREFIX: 'models', MODEL_REFRESH_MS: '1000' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('uploads a LoRA, lists it, generates with it, and shows it in parameters, report and PNG metadata', async () => {
    const uploaded = await upload(fixture.farm.apiUrl, fixture.farm.apiKey, { kind: 'lora', name: 'demo-style', trigger_words: 'zxq' }, kohyaLora(), 'demo-style.safetensors');
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    assert.equal(uploaded.body.id, 'lora:demo-style');
    assert.match(String(uploaded.body.sha256), /^[0-9a-f]{64}$/);
    const listed = await fixture.api.request<{ data: Array<{ id: string; kind: string }> }>('GET', '/v1/models?kind=lora');
    assert.ok(listed.body.data.some((entry) => entry.id === 'lora:demo-style'));
    await waitUntil(async () => {
      const response = await fixture.api.request('POST', '/v1/generations', { ...TINY, loras: [{ name: 'demo-style', weight: 0.8 }] });
      return response.status === 202;
    }, 20_000, 'a worker to sync the LoRA');
    const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, prompt: 'a red circle <lora:demo-style:0.7>' });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.deepEqual(created.body.parameters.loras, [{ name: 'demo-style', weight: 0.7 }]);
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const applied = done.adapters?.loras[0];
    assert.equal(applied?.name, 'demo-style');
    assert.ok((applied?.unmatched ?? 0) > 0, 'keys matching no layer are reported');
    const png = decodePng(Buffer.from(await (await fetch(done.outputs[0].url as string)).arrayBuffer()));
    assert.match(png.text.parameters, /Lora: demo-style:0.7/);
  });

  it('refuses malformed safetensors and hostile pickles with the reason; unknown LoRAs are a 400', async () => {
    const garbage = await upload(fixture.farm.apiUrl, fixture.farm.apiKey, { kind: 'lora', name: 'broken' }, new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0, 123, 34, 120, 34]), 'broken.safetensors');
    assert.equal(garbage.status, 422);
    assert.match(JSON.stringify(garbage.body), /safetensors|checkpoint/);
    // protocol-2 pickle: GLOBAL 'os system', a string, TUPLE1, REDUCE, STOP
    const hostile = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\n', 'latin1'), Buffer.from([0x58, 4, 0, 0, 0]), Buffer.from('true'), Buffer.from([0x85, 0x52, 0x2e])]);
    const refused = await upload(fixture.farm.apiUrl, fixture.farm.apiKey, { kind: 'embedding', name: 'evil' }, hostile, 'evil.pt');
    assert.equal(refused.status, 422);
    assert.match(JSON.stringify(refused.body), /os\.system|posix\.system/);
    const unknown = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/generations', { ...TINY, loras: [{ name: 'nope', weight: 1 }] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.details[0].field, 'loras.0.name');
  });

  it('imports an ONNX export folder from the bucket; workers download, verify and serve it without a restart', async () => {
    const built = await buildDemoVariant(path.join(tmpdir(), `import-${process.pid}-${Date.now()}`), 'wild-sd15', { sampleSize: 8 });
    const storage = new S3Storage({ endpoint: fixture.s3.endpoint, region: 'us-east-1', bucket: fixture.s3.bucket, accessKeyId: fixture.s3.accessKeyId, secretAccessKey: fixture.s3.secretAccessKey, forcePathStyle: true });
    try {
      const files = (await readdir(built.dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      for (const entry of files) {
        const full = path.join(entry.parentPath, entry.name);
        await storage.put(`incoming/odd/${path.relative(built.dir, full)}`, await readFile(full), 'application/octet-stream');
      }
      const refused = await fixture.api.request('POST', '/v1/models', { kind: 'pipeline', name: 'half', source: `s3://${fixture.s3.bucket}/incoming/nothing-here` });
      assert.equal(refused.status, 422);
      const vae = await fixture.api.request<{ id: string; components: unknown[] }>('POST', '/v1/models', { kind: 'vae', name: 'odd-vae', source: `s3://${fixture.s3.bucket}/incoming/odd` });
      assert.equal(vae.status, 201, JSON.stringify(vae.body));
      assert.equal(vae.body.id, 'vae:odd-vae');
      const imported = await fixture.api.request<{ id: string; family: string; vae: string; default_scheduler: string; components: Array<{ path: string; sha256: string }> }>('POST', '/v1/models', {
        kind: 'pipeline', name: 'odd-imported', source: `s3://${fixture.s3.bucket}/incoming/odd`, vae: 'odd-vae', default_scheduler: 'Euler', licence: 'CreativeML OpenRAIL-M',
      });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.equal(imported.body.family, 'sd1');
      assert.equal(imported.body.vae, 'odd-vae');
      assert.ok(imported.body.components.some((component) => component.path === 'unet/model.onnx' && /^[0-9a-f]{64}$/.test(component.sha256)));
      assert.ok(await storage.exists('models/odd-imported/SHA256SUMS'));
      await waitUntil(async () => (await fixture.api.request<{ data: Array<{ id: string }> }>('GET', '/v1/models?kind=pipeline')).body.data.some((entry) => entry.id === 'odd-imported'), 60_000, 'workers to pick up the import');
      const served = await fixture.api.request<{ default_scheduler: string }>('GET', '/v1/models/odd-imported');
      assert.equal(served.body.default_scheduler, 'Euler', 'the manifest options reach the workers');
      const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, model: 'odd-imported' });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    } finally {
      storage.destroy();
      await rm(built.dir, { recursive: true, force: true });
    }
  });

  it('keeps private adapters private and lets owners delete them', async () => {
    const created = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'other', scopes: ['generate', 'models:write'] });
    const other = new TestApiClient(fixture.farm.apiUrl, created.body.key);
    assert.equal((await other.request('GET', '/v1/models/lora:demo-style')).status, 404);
    const used = await other.request('POST', '/v1/generations', { ...TINY, loras: [{ name: 'demo-style', weight: 1 }] });
    assert.equal(used.status, 400);
    assert.equal((await other.request('DELETE', '/v1/models/lora:demo-style')).status, 404);
    assert.equal((await fixture.api.request('DELETE', '/v1/models/lora:demo-style')).status, 200);
    assert.equal((await fixture.api.request('GET', '/v1/models/lora:demo-style')).status, 404);
  });
});
