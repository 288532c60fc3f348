import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { startRedisCluster, type LocalRedisCluster } from '@atelier/local-services/testing';
import { createRedisConnection, isCluster, type RedisClient } from '@atelier/queue';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { printTally, submitThroughFailover, tallyTerminal } from '../support/terminal-tally.js';

const SMALL = { model: 'demo-sd15', img_width: 64, img_height: 64, num_inference_steps: 4, scheduler: 'Euler' } as const;
// Long enough (1024², 150 steps) to still be running when its master is killed.
const SLOW = { ...SMALL, img_width: 1024, img_height: 1024, num_inference_steps: 150, scheduler: 'DDIM' } as const;

describe('a farm on a real Redis Cluster (three masters, a replica each)', { timeout: 900_000 }, () => {
  let cluster: LocalRedisCluster;
  let fixture: FarmFixture;
  let redis: RedisClient;

  before(async () => {
    cluster = await startRedisCluster({ masters: 3, nodeTimeoutMs: 2_000 });
    fixture = await startFarmFixture({}, 1, { redisEnv: { REDIS_CLUSTER_NODES: cluster.seeds } });
    redis = createRedisConnection({ mode: 'cluster', nodes: cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })) });
  });
  after(async () => {
    redis?.disconnect();
    await fixture?.stop();
    await cluster?.stop();
  });

  it('submits and runs a job, and delivers its signed webhooks to a real receiver', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SMALL, prompt: 'a red circle on a blue background', webhook: { url: fixture.receiver.url } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.outputs.length, 1);
    await waitUntil(() => fixture.receiver.received.filter((hook) => hook.body.includes(submitted.body.id)).length >= 2, 30_000, 'webhooks');
    const hooks = fixture.receiver.received.filter((hook) => hook.body.includes(submitted.body.id));
    assert.ok(hooks.every((hook) => hook.verificationError === undefined));
    assert.deepEqual(hooks.map((hook) => (hook.payload as { type: string }).type).sort(), ['generation.started', 'generation.succeeded']);
  });

  it('cancels a running job through pub/sub on the cluster', async () => {
    const running = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SLOW, prompt: 'a yellow triangle' });
    assert.equal(running.status, 202);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`, (body) => body.status === 'running' && body.progress.step >= 1, 300_000);
    const cancel = await fixture.api.request('POST', `/v1/generations/${running.body.id}/cancel`);
    assert.equal(cancel.status, 202);
    const canceled = await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`);
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.progress.step < 150, `stopped early, at step ${canceled.progress.step}`);
  });

  it('runs a batch to completion', async () => {
    const requests = Array.from({ length: 6 }, (_, index) => ({ ...SMALL, num_inference_steps: 2, prompt: 'a blue square', seed: index }));
    const submitted = await fixture.api.request<{ id: string; total: number }>('POST', '/v1/batches', { requests, webhook: { url: fixture.receiver.url } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<{ status: string; counts: Record<string, number> }>(`/v1/batches/${submitted.body.id}`, (body) => body.status === 'completed', 300_000);
    assert.equal(done.counts.succeeded, 6);
  });

  it('keeps every key it wrote, BullMQ queues included, in the one slot of the {atelier} hash tag', async () => {
    assert.ok(isCluster(redis));
    const slot = await cluster.keySlot('{atelier}');
    const keys: string[] = [];
    for (const master of redis.nodes('master')) {
      let cursor = '0';
      do {
        const [next, batch] = await master.scan(cursor, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
    }
    assert.ok(keys.some((key) => key.startsWith('{atelier}:generation:')), 'BullMQ generation queue keys exist');
    assert.ok(keys.some((key) => key.startsWith('{atelier}:farm:generation:')), 'generation records exist');
    assert.deepEqual(keys.filter((key) => !key.startsWith('{atelier}:')), [], 'no key outside the hash tag');
    const owner = await cluster.masterOf(slot);
    for (const master of redis.nodes('master')) {
      const count = await master.dbsize();
      if (master.options.port !== owner.port) assert.equal(count, 0, `master ${master.options.port} holds no Atelier key`);
    }
  });

  it('survives the master of the queue slot being killed mid-run: its replica takes over and every accepted job ends', async () => {
    const accepted: string[] = [];
    let unavailable = 0;
    const submit = async (body: Record<string, unknown>): Promise<string> => {
      // A 503 while Redis fails over is the right answer (nothing accepted, retry); a 500 never is.
      const response = await submitThroughFailover(fixture.api, body);
      unavailable += response.unavailable;
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.ok(response.id);
      accepted.push(response.id);
      return response.id;
    };
    const slow = await submit({ ...SLOW, prompt: 'a green ring', webhook: { url: fixture.receiver.url } });
    for (let index = 0; index < 5; index++) await submit({ ...SMALL, prompt: 'a red square', seed: 100 + index, webhook: { url: fixture.receiver.url } });
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${slow}`, (body) => body.status === 'running' && body.progress.step >= 1, 300_000);

    const slot = await cluster.keySlot('{atelier}');
    const victim = await cluster.masterOf(slot);
    const replica = (await cluster.topology()).find((node) => node.masterId === victim.id);
    assert.ok(replica, 'the victim has a replica');
    await cluster.processes.get(victim.port)?.kill();
    // Other nodes notice after cluster-node-timeout, then the replica wins the election.
    await waitUntil(async () => (await cluster.masterOf(slot).catch(() => victim)).port !== victim.port, 60_000, 'the replica to be promoted');
    await cluster.waitHealthy(60_000);
    const promoted = await cluster.masterOf(slot);
    assert.equal(promoted.port, replica.port, 'the replica now serves the slot');

    // The farm reconnects: new work is accepted and runs after the failover.
    await waitUntil(async () => (await fixture.api.request('GET', '/v1/models').catch(() => undefined))?.status === 200, 60_000, 'the API to answer again');
    for (let index = 0; index < 3; index++) await submit({ ...SMALL, prompt: 'a blue circle', seed: 200 + index });

    const tally = await tallyTerminal(fixture.api, accepted, 600_000);
    printTally(`master ${victim.port} (slot ${slot}) SIGKILLed, replica ${replica.port} promoted`, tally, unavailable);
    assert.equal(tally.lost, 0, JSON.stringify(tally.statuses));
    assert.equal(tally.succeeded + tally.failed + tally.canceled, tally.accepted);
    const afterFailover = accepted.slice(-3);
    assert.ok(afterFailover.every((id) => tally.statuses[id] === 'succeeded'), `jobs submitted after the failover succeed: ${JSON.stringify(tally.statuses)}`);
  });
});
