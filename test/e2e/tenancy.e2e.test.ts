import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { TestApiClient } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

describe('tenants, keys, scopes, limits and idempotency (real farm)', () => {
  let fixture: FarmFixture;
  let admin: TestApiClient;
  const keyFor = async (tenant: string, scopes: string[]): Promise<{ id: string; key: string; client: TestApiClient }> => {
    const created = await admin.request<{ id: string; key: string; tenant: string; scopes: string[] }>('POST', '/v1/admin/keys', { tenant, scopes });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.tenant, tenant);
    return { id: created.body.id, key: created.body.key, client: new TestApiClient(fixture.farm.apiUrl, created.body.key) };
  };

  before(async () => {
    fixture = await startFarmFixture({ RATE_LIMIT_PER_MINUTE: '1000' });
    admin = fixture.api;
  });
  after(async () => {
    await fixture?.stop();
  });

  it('isolates tenants: another tenant gets 404 for a generation and its batch', async () => {
    const alice = await keyFor('alice', ['generate']);
    const bob = await keyFor('bob', ['generate']);
    const created = await alice.client.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(created.status, 202);
    const done = await alice.client.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    assert.equal(done.status, 'succeeded');
    assert.equal((await bob.client.request('GET', `/v1/generations/${created.body.id}`)).status, 404);
    assert.equal((await bob.client.request('POST', `/v1/generations/${created.body.id}/cancel`)).status, 404);
    const batch = await alice.client.request<{ id: string }>('POST', '/v1/batches', { requests: [TINY] });
    assert.equal((await bob.client.request('GET', `/v1/batches/${batch.body.id}`)).status, 404);
    assert.equal((await alice.client.request('GET', `/v1/batches/${batch.body.id}`)).status, 200);
  });

  it('enforces scopes, shows keys once, stores them hashed, rotates and revokes', async () => {
    const trainer = await keyFor('carol', ['train']);
    const refused = await trainer.client.request<{ error: { code: string } }>('POST', '/v1/generations', TINY);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    assert.equal((await trainer.client.request('POST', '/v1/admin/keys', { tenant: 'x', scopes: ['admin'] })).status, 403);

    const listed = await admin.request<{ data: Array<Record<string, unknown>> }>('GET', '/v1/admin/keys?tenant=carol');
    assert.equal(listed.body.data.length, 1);
    assert.ok(!JSON.stringify(listed.body).includes(trainer.key), 'the secret is never listed');
    assert.equal(listed.body.data[0].hash, undefined);

    const generator = await keyFor('dave', ['generate']);
    const rotated = await admin.request<{ key: string }>('POST', `/v1/admin/keys/${generator.id}/rotate`);
    assert.equal(rotated.status, 201);
    assert.equal((await generator.client.request('GET', '/v1/models')).status, 401, 'the old secret stops working');
    const fresh = new TestApiClient(fixture.farm.apiUrl, rotated.body.key);
    assert.equal((await fresh.request('GET', '/v1/models')).status, 200);
    assert.equal((await admin.request('POST', `/v1/admin/keys/${generator.id}/revoke`)).status, 201);
    assert.equal((await fresh.request('GET', '/v1/models')).status, 401, 'revocation is immediate');
    assert.equal((await new TestApiClient(fixture.farm.apiUrl, 'atl_000000000000_notarealkeyatall').request('GET', '/v1/models')).status, 401);
  });

  it('answers 429 with Retry-After past the per-key request rate and the queued-jobs limit', async () => {
    const eve = await keyFor('eve', ['generate']);
    assert.equal((await admin.request('PATCH', '/v1/admin/tenants/eve/limits', { requests_per_minute: 3, max_queued_jobs: 1 })).status, 200);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let index = 0; index < 4; index++) {
      const response = await eve.client.request('GET', '/v1/models');
      statuses.push(response.status);
      retryAfter = response.headers.get('retry-after') ?? retryAfter;
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60);

    const frank = await keyFor('frank', ['generate']);
    assert.equal((await admin.request('PATCH', '/v1/admin/tenants/frank/limits', { max_queued_jobs: 3, max_batch_size: 2 })).status, 200);
    const tooBig = await frank.client.request<{ error: { details: Array<{ field: string; message: string }> } }>('POST', '/v1/batches', { requests: [TINY, TINY, TINY] });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.body.error.details[0].message, /at most 2/);
    const slow = { ...TINY, img_width: 512, img_height: 512, num_inference_steps: 60 };
    const accepted = await frank.client.request('POST', '/v1/batches', { requests: [slow, slow] });
    assert.equal(accepted.status, 202);
    await frank.client.request('POST', '/v1/generations', slow);
    const over = await frank.client.request<{ error: { code: string } }>('POST', '/v1/generations', slow);
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, 'queue_limit_reached');
    assert.ok(over.headers.get('retry-after'));
  });

  it("is fair: another tenant's batch job waits behind the running job, not behind a 40-job batch", async () => {
    const big = await keyFor('bigco', ['generate']);
    const small = await keyFor('smallco', ['generate']);
    const job = { ...TINY, num_inference_steps: 6, img_width: 128, img_height: 128 };
    const batch = await big.client.request<{ id: string }>('POST', '/v1/batches', { requests: Array.from({ length: 40 }, (_, seed) => ({ ...job, seed })) });
    assert.equal(batch.status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const single = await small.client.request<{ id: string; generations: { data: Array<{ id: string }> } }>('POST', '/v1/batches', { requests: [job] });
    const singleId = single.body.generations.data[0].id;
    const done = await small.client.waitFor<GenerationView>(`/v1/generations/${singleId}`, undefined, 120_000);
    assert.equal(done.status, 'succeeded');
    const bigBatch = await big.client.request<{ counts: Record<string, number> }>('GET', `/v1/batches/${batch.body.id}`);
    const bigDone = bigBatch.body.counts.succeeded;
    console.log(`fairness: smallco's job waited ${done.timings.queue_wait_ms} ms in the queue; bigco had ${bigDone}/40 done when it finished`);
    assert.ok(bigDone < 20, `smallco's job ran while most of bigco's batch was still queued (bigco done: ${bigDone}/40)`);
    await big.client.waitFor(`/v1/batches/${batch.body.id}`, (body: { status: string }) => body.status === 'completed', 180_000);
  });

  it('Idempotency-Key: same key and body return the original job; another body is a 409', async () => {
    const post = async (key: string, body: unknown): Promise<{ status: number; id?: string; replayed: string | null }> => {
      const response = await fetch(`${fixture.farm.apiUrl}/v1/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { id?: string };
      return { status: response.status, id: json.id, replayed: response.headers.get('idempotent-replayed') };
    };
    const first = await post('order-42', { ...TINY, seed: 1 });
    const again = await post('order-42', { ...TINY, seed: 1 });
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(again.id, first.id);
    assert.equal(again.replayed, 'true');
    const conflict = await post('order-42', { ...TINY, seed: 2 });
    assert.equal(conflict.status, 409);
    const refused = await post('order-43', { ...TINY, img_width: 100 });
    assert.equal(refused.status, 400);
    const fixed = await post('order-43', TINY);
    assert.equal(fixed.status, 202, 'a refused request does not burn its key');
  });
});
