import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GenerationStatus, RESOLVED_GENERATION_VERSION } from '@atelier/contracts';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { RedisKeys, createRedisConnection, type RedisClient } from '@atelier/queue';
import { BatchStore } from './batch-store.js';
import { GenerationStore } from './generation-store.js';
import { resolvedRequest } from './testing/resolved-request.js';

const request = resolvedRequest();

describe('generation records (real redis-server)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  let store: GenerationStore;
  let batches: BatchStore;
  let prefix = 0;
  let keys: RedisKeys;

  /** The outbox as [event, kind, subject, snapshot status] rows, oldest first. */
  const outbox = async (): Promise<Array<[string, string, string, string]>> =>
    (await redis.xrange(keys.outbox(), '-', '+')).map(([, flat]) => {
      const fields = Object.fromEntries(flat.flatMap((value, index) => (index % 2 === 0 ? [[value, flat[index + 1]]] : [])));
      const snapshot = JSON.parse(fields.snapshot) as Record<string, string>;
      return [fields.event, fields.kind, fields.subject, snapshot.status ?? `${snapshot.completed_at ? 'completed' : ''}`];
    });

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const fresh = (): void => {
    keys = new RedisKeys(`t${prefix++}`);
    store = new GenerationStore(redis, keys);
    batches = new BatchStore(redis, keys);
  };

  it('walks queued → running → succeeded and writes the terminal state once', async () => {
    fresh();
    const g1 = { id: 'g1', tenant: 't' };
    const multi = redis.multi();
    store.addCreate(multi, { id: 'g1', tenant: 't', queue: 'generation', request, warnings: ['w'], createdAt: new Date().toISOString() });
    await multi.exec();
    assert.equal((await store.get('g1'))?.status, GenerationStatus.Queued);
    assert.equal((await store.markStarted(g1, 'w1', 1, new Date())).applied, true);
    const output = { index: 0, key: 'generations/g1/0.png', seed: 1, width: 64, height: 64, content_type: 'image/png' };
    const [succeeded, canceled] = await Promise.all([
      store.markSucceeded(g1, [output], { inference_ms: 5 }, new Date()),
      store.markCanceled(g1, [GenerationStatus.Queued, GenerationStatus.Running], new Date()),
    ]);
    assert.equal(Number(succeeded.applied) + Number(canceled.applied), 1, 'exactly one terminal transition wins');
    const record = await store.get('g1');
    assert.ok(record);
    assert.equal(record.status, succeeded.applied ? GenerationStatus.Succeeded : GenerationStatus.Canceled);
    assert.deepEqual(record.warnings, ['w']);
    assert.equal(record.worker_id, 'w1');
    const again = await store.markFailed(g1, { code: 'x', message: 'late' }, {}, new Date());
    assert.equal(again.applied, false);
    assert.equal(again.previous, record.status);
  });

  it('reads a request stored before resolved requests were versioned (a job queued across an upgrade) as the current version', async () => {
    fresh();
    const multi = redis.multi();
    store.addCreate(multi, { id: 'old', tenant: 't', queue: 'generation', request, warnings: [], createdAt: new Date().toISOString() });
    await multi.exec();
    const { v: _version, styled: _styled, conditioning: _conditioning, ...v1 } = { ...request, prompt: 'a cat <lora:ink:0.6>', style: 'photographic', loras: [{ name: 'ink', weight: 0.6 }] };
    await redis.hset(keys.generation('old'), 'request', JSON.stringify(v1));
    const record = await store.get('old');
    assert.ok(record);
    assert.equal(record.request.v, RESOLVED_GENERATION_VERSION);
    assert.ok(!record.request.conditioning.prompt.includes('<lora:'), record.request.conditioning.prompt);
    assert.notEqual(record.request.conditioning.prompt, 'a cat', 'the style was applied');
    assert.deepEqual(record.request.loras, [{ name: 'ink', weight: 0.6 }]);
    assert.equal(record.request.prompt, 'a cat <lora:ink:0.6>');
  });

  it('keeps batch counters exact and reports completion exactly once under concurrency', async () => {
    fresh();
    const ids = Array.from({ length: 20 }, (_, index) => `b${index}`);
    const multi = redis.multi();
    batches.addCreate(multi, { id: 'batch1', tenant: 't', generationIds: ids, createdAt: new Date().toISOString() });
    for (const id of ids) store.addCreate(multi, { id, tenant: 't', queue: 'generation', request, batchId: 'batch1', warnings: [], createdAt: new Date().toISOString() });
    await multi.exec();
    const results = await Promise.all(
      ids.map(async (id, index) => {
        const ref = { id, batchId: 'batch1', tenant: 't' };
        await store.markStarted(ref, 'w', 1, new Date());
        return index % 5 === 0
          ? store.markFailed(ref, { code: 'inference_failed', message: 'boom' }, {}, new Date())
          : store.markSucceeded(ref, [], {}, new Date());
      }),
    );
    assert.equal(results.filter((result) => result.batchCompleted).length, 1);
    const batch = await batches.get('batch1');
    assert.ok(batch?.completed_at);
    assert.deepEqual(batch.counts, { queued: 0, running: 0, succeeded: 16, failed: 4, canceled: 0 });
    assert.deepEqual(await batches.items('batch1', 5, 3), ['b5', 'b6', 'b7']);
  });

  it('appends each transition\'s webhook event to the outbox in the same step, started only on a first attempt', async () => {
    fresh();
    const ref = { id: 'o1', tenant: 't' };
    const multi = redis.multi();
    store.addCreate(multi, { id: 'o1', tenant: 't', queue: 'generation', request, warnings: [], createdAt: new Date().toISOString() });
    await multi.exec();
    assert.equal((await store.markStarted(ref, 'w1', 1, new Date())).eventAppended, true);
    assert.equal((await store.markRequeued(ref, { code: 'worker_shutdown', message: 'handed back' })).eventAppended, false);
    assert.equal((await store.markStarted(ref, 'w2', 1, new Date())).eventAppended, false, 'a handed-back job does not start twice');
    assert.equal((await store.markSucceeded(ref, [], { total_ms: 3 }, new Date())).eventAppended, true);
    assert.equal((await store.markCanceled(ref, [GenerationStatus.Running], new Date())).eventAppended, false, 'a refused transition appends nothing');
    assert.deepEqual(await outbox(), [
      ['generation.started', 'generation', 'o1', 'running'],
      ['generation.succeeded', 'generation', 'o1', 'succeeded'],
    ]);
    const [, [, flat]] = await redis.xrange(keys.outbox(), '-', '+');
    const snapshot = JSON.parse(flat[flat.indexOf('snapshot') + 1]) as Record<string, string>;
    assert.equal(snapshot.request, undefined, 'the immutable request is not copied into every entry');
    assert.equal(snapshot.timings, JSON.stringify({ total_ms: 3 }));
  });

  it('appends batch.completed exactly once, in the step that finishes the last item', async () => {
    fresh();
    const ids = Array.from({ length: 12 }, (_, index) => `c${index}`);
    const multi = redis.multi();
    batches.addCreate(multi, { id: 'batch2', tenant: 't', generationIds: ids, createdAt: new Date().toISOString() });
    for (const id of ids) store.addCreate(multi, { id, tenant: 't', queue: 'generation', request, batchId: 'batch2', warnings: [], createdAt: new Date().toISOString() });
    await multi.exec();
    await Promise.all(
      ids.map(async (id, index) => {
        const ref = { id, batchId: 'batch2', tenant: 't' };
        if (index % 4 === 0) return store.markCanceled(ref, [GenerationStatus.Queued], new Date());
        await store.markStarted(ref, 'w', 1, new Date());
        return store.markSucceeded(ref, [], {}, new Date());
      }),
    );
    const entries = await outbox();
    const completed = entries.filter(([event]) => event === 'batch.completed');
    assert.deepEqual(completed, [['batch.completed', 'batch', 'batch2', 'completed']]);
    assert.equal(entries.at(-1)?.[0], 'batch.completed', 'recorded after the item event that completed the batch');
    assert.equal(entries.filter(([event]) => event === 'generation.succeeded').length, 9);
    assert.equal(entries.filter(([event]) => event === 'generation.canceled').length, 3);
  });
});
