import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GenerationStatus, type ResolvedGeneration } from '#libs/contracts/src/index.js';
import { startPrivateRedis, type PrivateRedis } from '#libs/local-services/src/index.js';
import { RedisKeys, createRedisConnection, type Redis } from '#libs/queue/src/index.js';
import { BatchStore } from './batch-store.js';
import { GenerationStore } from './generation-store.js';

const request: ResolvedGeneration = {
  model: 'demo-sd15',
  prompt: 'a red circle',
  negative_prompt: '',
  style: 'base',
  samples: 1,
  num_inference_steps: 4,
  guidance_scale: 7,
  strength: 0.8,
  high_noise_fraction: 0.8,
  seed: 1,
  refiner: false,
  base64: false,
  loras: [],
  mask_blur: 0,
  output_format: 'png',
  output_quality: 90,
};

describe('generation records (real redis-server)', () => {
  let server: PrivateRedis;
  let redis: Redis;
  let store: GenerationStore;
  let batches: BatchStore;
  let prefix = 0;

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const fresh = (): void => {
    const keys = new RedisKeys(`t${prefix++}`);
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
});
