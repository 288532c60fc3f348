import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GenerationStatus, ImageTaskKind, type ResolvedImageTask } from '@atelier/contracts';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { RedisKeys, createRedisConnection, type RedisClient } from '@atelier/queue';
import { ImageTaskStore } from './image-task-store.js';

const request: ResolvedImageTask = {
  v: 1,
  kind: ImageTaskKind.Preprocess,
  image: 'https://images.example.test/a.png',
  preprocessor: 'canny',
  options: { low_threshold: 100, high_threshold: 200, detect_resolution: 512, safe: false, include_face: false, include_hands: false },
  model: null,
  output_format: 'png',
};
const TIMINGS = { queue_wait_ms: 1, run_ms: 2, upload_ms: 3, total_ms: 6 };

describe('image task records (real redis-server)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  let prefix = 0;

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const fresh = async (id: string): Promise<{ store: ImageTaskStore; keys: RedisKeys }> => {
    const keys = new RedisKeys(`it${prefix++}`);
    const store = new ImageTaskStore(redis, keys);
    const multi = redis.multi();
    store.addCreate(multi, { id, tenant: 'acme', request, queue: 'image-task', createdAt: new Date().toISOString() });
    await multi.exec();
    return { store, keys };
  };

  /** The outbox as [event, kind, subject, snapshot status] rows, oldest first. */
  const outbox = async (keys: RedisKeys): Promise<string[][]> =>
    (await redis.xrange(keys.outbox(), '-', '+')).map(([, flat]) => {
      const fields = Object.fromEntries(flat.flatMap((value, index) => (index % 2 === 0 ? [[value, flat[index + 1]]] : [])));
      return [fields.event, fields.kind, fields.subject, (JSON.parse(fields.snapshot) as Record<string, string>).status];
    });

  it('writes each move and its <kind>.<state> outbox entry in one step; a terminal state once, whoever races for it', async () => {
    const { store, keys } = await fresh('tsk_a');
    await redis.set(keys.tenantOutstanding('acme'), 1);
    const task = { id: 'tsk_a', kind: ImageTaskKind.Preprocess, tenant: 'acme' };
    assert.equal((await store.get('tsk_a'))?.status, GenerationStatus.Queued);
    assert.equal((await store.markStarted(task, 'w1', 1, new Date())).applied, true);
    const output = { index: 0, kind: 'control', key: 'tasks/tsk_a/0.png', width: 8, height: 8, content_type: 'image/png' };
    const [succeeded, canceled] = await Promise.all([
      store.markSucceeded(task, { outputs: [output], metadata: { preprocessor: 'canny' }, timings: TIMINGS }, new Date()),
      store.markCanceled(task, [GenerationStatus.Queued, GenerationStatus.Running], new Date()),
    ]);
    assert.equal(Number(succeeded.applied) + Number(canceled.applied), 1, 'exactly one terminal transition wins');
    const record = await store.get('tsk_a');
    assert.equal(record?.status, succeeded.applied ? GenerationStatus.Succeeded : GenerationStatus.Canceled);
    const finalEvent = succeeded.applied ? 'preprocess.succeeded' : 'preprocess.canceled';
    assert.deepEqual(await outbox(keys), [
      ['preprocess.started', 'image_task', 'tsk_a', 'running'],
      [finalEvent, 'image_task', 'tsk_a', succeeded.applied ? 'succeeded' : 'canceled'],
    ]);
    assert.equal((await store.markFailed(task, { code: 'x', message: 'y' }, new Date())).applied, false);
    assert.equal((await outbox(keys)).length, 2, 'a refused move appends nothing');
    assert.equal(await redis.get(keys.tenantOutstanding('acme')), '0', 'the one ending move released the reservation, once');
  });

  it('records started only for the first attempt of a queued task; a requeue appends nothing; the snapshot carries no request', async () => {
    const { store, keys } = await fresh('tsk_b');
    await redis.set(keys.tenantOutstanding('acme'), 2);
    const task = { id: 'tsk_b', kind: ImageTaskKind.Preprocess, tenant: 'acme' };
    await store.markStarted(task, 'w1', 1, new Date());
    assert.deepEqual(await store.markRequeued(task, { code: 'inference_failed', message: 'retry' }), { applied: true, previous: GenerationStatus.Running });
    await store.markStarted(task, 'w2', 2, new Date());
    await store.markFailed(task, { code: 'invalid_image', message: 'image: bad' }, new Date());
    assert.deepEqual((await outbox(keys)).map((row) => row[0]), ['preprocess.started', 'preprocess.failed']);
    assert.equal(await redis.get(keys.tenantOutstanding('acme')), '1', 'the one reservation of 2 was released by the failure only');
    const [, flat] = (await redis.xrange(keys.outbox(), '-', '+'))[1];
    const snapshot = JSON.parse(flat[flat.indexOf('snapshot') + 1]) as Record<string, string>;
    assert.equal(snapshot.request, undefined);
    const record = await store.fromSnapshot(snapshot);
    assert.deepEqual([record?.status, record?.attempts, record?.error?.code, record?.request.kind], ['failed', 2, 'invalid_image', 'preprocess']);
  });
});
