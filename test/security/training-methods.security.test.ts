import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import { writeZip } from '@atelier/model-formats/testing';
import { checkerboard } from '@atelier/training/testing';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

const table = new ProbeTable('Training methods: hostile fields, other tenants');
const BASE = 'demo-trainable-pretrained';
const TI = { method: 'textual_inversion', base_model: BASE, placeholder_token: 'probeti', initializer_token: 'pattern', caption_template: 'a photo of {trigger}', steps: 20, save_every: 0 } as const;

function datasetZip(): Uint8Array {
  const image = checkerboard(64, 16);
  return writeZip([0, 1].map((i) => ({ name: `${i}.png`, data: encodePng(toRgb8(image.data), 64, 64) })));
}

describe('security: textual-inversion fields and datasets (real farm)', () => {
  let fixture: FarmFixture;
  let alpha: TestApiClient;
  let beta: TestApiClient;
  let alphaUpload: string;
  let alphaUploadUri: string;

  before(async () => {
    fixture = await startFarmFixture({ WORKER_TRAINS: 'true' });
    const scopes = ['generate', 'train', 'models:write'];
    alpha = new TestApiClient(fixture.farm.apiUrl, (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'alpha', scopes })).body.key);
    beta = new TestApiClient(fixture.farm.apiUrl, (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'beta', scopes })).body.key);
    const ticket = await alpha.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(datasetZip()) })).status, 200);
    alphaUpload = ticket.body.id;
    alphaUploadUri = `s3://${fixture.s3.bucket}/uploads/alpha/${ticket.body.id}.zip`;
  });
  after(async () => {
    await fixture?.stop();
  });

  it('refuses hostile tokens, counts and methods with a 400 naming the field, never a 5xx', async () => {
    const long = 'x'.repeat(10_000);
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['placeholder_token <lora:x>', { placeholder_token: '<lora:x>' }, 'placeholder_token'],
      ['placeholder_token <lora:x:1> with spaces', { placeholder_token: 'a <lora:x:1>' }, 'placeholder_token'],
      ['placeholder_token of 10,000 characters', { placeholder_token: long }, 'placeholder_token'],
      ['placeholder_token ../../registry', { placeholder_token: '../../registry' }, 'placeholder_token'],
      ['placeholder_token with NUL', { placeholder_token: 'zx\u0000q' }, 'placeholder_token'],
      ['placeholder_token with a right-to-left override', { placeholder_token: 'zx\u202eq' }, 'placeholder_token'],
      ['placeholder_token __proto__', { placeholder_token: '__proto__' }, 'placeholder_token'],
      ['placeholder_token as a number', { placeholder_token: 42 }, 'placeholder_token'],
      ['initializer_token <lora:x>', { initializer_token: '<lora:x>' }, 'initializer_token'],
      ['initializer_token of 10,000 characters', { initializer_token: long }, 'initializer_token'],
      ['initializer_token of two words', { initializer_token: 'red circle' }, 'initializer_token'],
      ['num_vectors 0', { num_vectors: 0 }, 'num_vectors'],
      ['num_vectors 1e9', { num_vectors: 1e9 }, 'num_vectors'],
      ['num_vectors 1.5', { num_vectors: 1.5 }, 'num_vectors'],
      ['num_vectors "2"', { num_vectors: '2' }, 'num_vectors'],
      ['rank with textual inversion', { rank: 4 }, 'rank'],
      ['class_prompt with textual inversion', { class_prompt: 'a photo of' }, 'class_prompt'],
      ['output_name with textual inversion', { output_name: 'elsewhere' }, 'output_name'],
      ['method of 10,000 characters', { method: long }, 'method'],
      ['method __proto__', { method: '__proto__' }, 'method'],
      ['method null', { method: null }, 'method'],
    ];
    for (const [probe, fields, field] of probes) {
      const response = await alpha.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { ...TI, dataset: alphaUpload, ...fields });
      const named = response.body.error?.details?.some((detail) => detail.field === field) ?? false;
      table.record(probe, `400 naming ${field}`, `${response.status}${named ? ` naming ${field}` : ''}`);
      assert.equal(response.status, 400, `${probe}: ${JSON.stringify(response.body)}`);
      assert.ok(named, `${probe}: ${JSON.stringify(response.body)}`);
    }
    const lora = await alpha.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { base_model: BASE, dataset: alphaUpload, trigger_word: 'zxq', placeholder_token: 'probeti', num_vectors: 2 });
    table.record('LoRA request with placeholder_token and num_vectors', '400 naming both', `${lora.status} ${lora.body.error.details.map((detail) => detail.field).join(',')}`);
    assert.equal(lora.status, 400);
    assert.deepEqual(lora.body.error.details.map((detail) => detail.field).sort(), ['num_vectors', 'placeholder_token']);
  });

  it("refuses another tenant's upload as a textual-inversion dataset with 404", async () => {
    for (const [probe, dataset] of [["beta uses alpha's upload id", alphaUpload], ["beta uses alpha's s3:// upload", alphaUploadUri]] as const) {
      const response = await beta.request('POST', '/v1/trainings', { ...TI, dataset });
      table.record(probe, '400/404', response.status);
      assert.ok([400, 404].includes(response.status), `${probe}: ${response.status} ${JSON.stringify(response.body)}`);
    }
  });

  it("a tenant's trained embedding is private: another tenant's prompt with the same word does not get it", async () => {
    const created = await alpha.request<{ id: string }>('POST', '/v1/trainings', { ...TI, dataset: alphaUpload });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await alpha.waitFor<{ status: string; model_id: string | null; error: unknown }>(`/v1/trainings/${created.body.id}`, (body) => ['succeeded', 'failed', 'canceled'].includes(body.status), 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const generate = async (client: TestApiClient): Promise<readonly string[]> => {
      const submitted = await client.request<GenerationView>('POST', '/v1/generations', { model: BASE, prompt: 'a photo of probeti', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const finished = await client.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
      assert.equal(finished.status, 'succeeded', JSON.stringify(finished.error));
      return finished.adapters?.embeddings ?? [];
    };
    let own: readonly string[] = [];
    await waitUntil(async () => (own = await generate(alpha)).includes('probeti'), 30_000, 'workers to sync the new embedding');
    table.record('alpha prompts with its own token', 'embedding applied', own.join(',') || 'none');
    assert.deepEqual(own, ['probeti']);
    const theirs = await generate(beta);
    table.record("beta prompts with alpha's token", 'no embedding', theirs.join(',') || 'none');
    assert.deepEqual(theirs, []);
  });
});
