import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { GenerationStatus, QueueName, webhookJobSchema } from '@atelier/contracts';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { RedisKeys, createRedisConnection, type RedisClient } from '@atelier/queue';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import { LocalStorage } from '@atelier/storage';
import { OutboxDrainer } from './outbox-drainer.js';
import { OutboxWebhooks } from './outbox-webhooks.js';
import { parseOutboxEntry } from './outbox-entry.js';
import { resolvedRequest } from '@atelier/records/testing';
import { JobRuntime, queueDefinitions } from '@atelier/jobs';
import { parseEnvironment } from '@atelier/config';

const request = resolvedRequest({ webhook: { url: 'https://hooks.example.test/atelier' } });

describe('outbox drainer (real redis-server, real BullMQ queue)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  let blocking: RedisClient;
  let dir: string;
  let queue: Queue;
  let keys: RedisKeys;
  let store: GenerationStore;
  let webhooks: OutboxWebhooks;

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
    blocking = createRedisConnection(server.url);
    dir = await mkdtemp(path.join(tmpdir(), 'atelier-outbox-'));
    keys = new RedisKeys('outboxtest');
    queue = new JobRuntime({ definitions: queueDefinitions(parseEnvironment({ WEBHOOK_MAX_ATTEMPTS: '3' })), prefix: 'outboxtest', queueConnection: redis, blockingConnection: () => createRedisConnection(server.url) }).queue(QueueName.Webhook);
    store = new GenerationStore(redis, keys);
    const storage = new LocalStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
    webhooks = new OutboxWebhooks(store, new BatchStore(redis, keys), new TrainingStore(redis, keys), storage, 60, new ImageTaskStore(redis, keys));
  });
  after(async () => {
    await queue.close();
    blocking.disconnect();
    redis.disconnect();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a drain that crashed after enqueueing and before acknowledging is redone without a second job', async () => {
    const multi = redis.multi();
    store.addCreate(multi, { id: 'gen1', tenant: 'acme', queue: 'generation', request, warnings: [], createdAt: new Date().toISOString() });
    store.addCreate(multi, { id: 'gen2', tenant: 'acme', queue: 'generation', request: { ...request, webhook: undefined }, warnings: [], createdAt: new Date().toISOString() });
    await multi.exec();
    await store.markStarted({ id: 'gen1', tenant: 'acme' }, 'w', 1, new Date());
    await store.markSucceeded({ id: 'gen1', tenant: 'acme' }, [], { total_ms: 5 }, new Date());
    await store.markCanceled({ id: 'gen2', tenant: 'acme' }, [GenerationStatus.Queued], new Date());
    assert.equal(await redis.xlen(keys.outbox()), 3);

    // What a drainer killed between its enqueue and its XDEL leaves behind: the jobs, and the entries.
    const [first] = await redis.xrange(keys.outbox(), '-', '+', 'COUNT', 1);
    const entry = parseOutboxEntry(first[1]);
    assert.ok(entry);
    const crashedJobs = await webhooks.jobsFor(entry);
    await queue.addBulk(crashedJobs.map((job) => ({ name: job.name, data: job.data, opts: { jobId: job.opts.jobId } })));

    const drainer = new OutboxDrainer(blocking, keys, queue, webhooks, (error) => assert.fail(error.message));
    const result = await drainer.drainOnce(100);
    assert.deepEqual(result, { acknowledged: 3, pending: 0 });
    assert.equal(await redis.xlen(keys.outbox()), 0, 'every entry acknowledged');

    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
    const messages = jobs.map((job) => webhookJobSchema.parse(job.data));
    assert.deepEqual(messages.map((message) => message.event).sort(), ['generation.started', 'generation.succeeded'], 'one job per event; gen2 has no webhook');
    assert.equal(new Set(messages.map((message) => message.messageId)).size, 2);
    const succeeded = messages.find((message) => message.event === 'generation.succeeded');
    assert.ok(succeeded);
    const body = JSON.parse(succeeded.body) as { type: string; data: { id: string; status: string } };
    assert.deepEqual([body.type, body.data.id, body.data.status, succeeded.tenant, succeeded.url], ['generation.succeeded', 'gen1', 'succeeded', 'acme', request.webhook?.url]);
    const started = messages.find((message) => message.event === 'generation.started');
    assert.equal((JSON.parse(started?.body ?? '{}') as { data: { status: string } }).data.status, 'running', 'the body describes the moment of the event');
  });
});
