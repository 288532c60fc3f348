import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;
const table = new ProbeTable('Objects of other tenants');

/** A LoRA of `modules` modules targeting no layer of the demo UNet: the report's `unmatched` tells whose file was applied. */
function lora(modules: number): Uint8Array {
  const tensors = new Map<string, ReturnType<typeof float32Tensor>>();
  for (let index = 0; index < modules; index++) {
    const base = `lora_unet_nowhere_${index}_proj`;
    tensors.set(`${base}.lora_down.weight`, float32Tensor(new Float32Array(2 * 8).fill(0.1), [2, 8]));
    tensors.set(`${base}.lora_up.weight`, float32Tensor(new Float32Array(8 * 2).fill(0.1), [8, 2]));
  }
  return serializeSafetensors(tensors);
}

async function uploadModel(apiUrl: string, key: string, name: string, file: Uint8Array): Promise<{ status: number; body: { sha256?: string } }> {
  const form = new FormData();
  form.set('kind', 'lora');
  form.set('name', name);
  form.set('file', new Blob([Buffer.from(file)]), `${name}.safetensors`);
  const response = await fetch(`${apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  return { status: response.status, body: (await response.json()) as { sha256?: string } };
}

describe('security: every referenced object belongs to the caller; adapter names are per tenant (real farm)', () => {
  let fixture: FarmFixture;
  let alpha: TestApiClient;
  let beta: TestApiClient;
  let alphaKey: string;
  let betaKey: string;
  let alphaUpload: string;

  before(async () => {
    fixture = await startFarmFixture({ WORKER_TRAINS: 'true' });
    const scopes = ['generate', 'train', 'models:write'];
    alphaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'alpha', scopes })).body.key;
    betaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'beta', scopes })).body.key;
    alpha = new TestApiClient(fixture.farm.apiUrl, alphaKey);
    beta = new TestApiClient(fixture.farm.apiUrl, betaKey);
    // Alpha's upload holds a valid LoRA, so a leak would be a successful import, not a format error.
    const ticket = await alpha.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(lora(1)) })).status, 200);
    alphaUpload = `s3://${fixture.s3.bucket}/uploads/alpha/${ticket.body.id}.zip`;
  });
  after(async () => {
    await fixture?.stop();
  });

  it("refuses another tenant's upload as a training dataset with 404", async () => {
    const response = await beta.request('POST', '/v1/trainings', { base_model: 'demo-sd15', dataset: alphaUpload, trigger_word: 'zzq', steps: 1 });
    table.record("beta trains on alpha's s3://…/uploads/alpha/<id>.zip", '404', response.status);
    assert.equal(response.status, 404, JSON.stringify(response.body));
  });

  it("refuses another tenant's upload, another bucket and another prefix as an import source, all with the same 404", async () => {
    const probes: Array<[string, string]> = [
      ["beta imports alpha's upload", alphaUpload],
      ['beta imports from another bucket', 's3://someone-elses-bucket/uploads/beta/x.zip'],
      ['beta imports a registry object', `s3://${fixture.s3.bucket}/registry/loras/anything.safetensors`],
      ['beta imports a missing own upload', `s3://${fixture.s3.bucket}/uploads/beta/upl_missing.zip`],
    ];
    for (const [probe, source] of probes) {
      const response = await beta.request<{ error: { code: string } }>('POST', '/v1/models', { kind: 'lora', name: 'stolen', source });
      table.record(probe, '404', response.status);
      assert.equal(response.status, 404, `${probe}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'not_found');
    }
    const own = await alpha.request('POST', '/v1/models', { kind: 'lora', name: 'from-own-upload', source: alphaUpload });
    table.record('alpha imports its own upload', '201', own.status);
    assert.equal(own.status, 201, JSON.stringify(own.body));
  });

  it("lets two tenants hold a private adapter of the same name; each lists and generates with its own", async () => {
    const mine = await uploadModel(fixture.farm.apiUrl, alphaKey, 'shared-name', lora(1));
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    const theirs = await uploadModel(fixture.farm.apiUrl, betaKey, 'shared-name', lora(3));
    table.record('beta imports a name alpha holds privately', '201', theirs.status);
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    for (const [client, expected, tenant] of [[alpha, mine.body.sha256, 'alpha'], [beta, theirs.body.sha256, 'beta']] as const) {
      const listed = await client.request<{ data: Array<{ id: string; sha256?: string; tenant?: string }> }>('GET', '/v1/models?kind=lora');
      const entries = listed.body.data.filter((entry) => entry.id === 'lora:shared-name');
      table.record(`${tenant} lists lora:shared-name`, 'only its own', entries.map((entry) => entry.tenant).join(','));
      assert.deepEqual(entries.map((entry) => [entry.tenant, entry.sha256]), [[tenant, expected]]);
      assert.ok(!listed.body.data.some((entry) => entry.tenant !== undefined && entry.tenant !== tenant), 'another tenant is never listed');
      const fetched = await client.request<{ sha256: string }>('GET', '/v1/models/lora:shared-name');
      assert.equal(fetched.body.sha256, expected);
    }
    const unmatched: Record<string, number> = {};
    for (const [client, tenant] of [[alpha, 'alpha'], [beta, 'beta']] as const) {
      let id = '';
      await waitUntil(async () => {
        const created = await client.request<GenerationView>('POST', '/v1/generations', { ...TINY, loras: [{ name: 'shared-name', weight: 1 }] });
        id = created.body.id;
        return created.status === 202;
      }, 30_000, `a worker to sync ${tenant}'s LoRA`);
      const done = await client.waitFor<GenerationView>(`/v1/generations/${id}`);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      unmatched[tenant] = done.adapters?.loras[0]?.unmatched ?? -1;
    }
    table.record('alpha and beta generate with "shared-name"', 'each its own file', `unmatched modules alpha=${unmatched.alpha} beta=${unmatched.beta}`);
    assert.ok((unmatched.alpha ?? 0) > 0);
    assert.equal(unmatched.beta, 3 * (unmatched.alpha ?? 0), "beta's three-module file, not alpha's one-module file");
  });
});
