import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Queue } from 'bullmq';
import { QueueName, webhookJobSchema } from '@atelier/contracts';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { OutboxDrainer, OutboxWebhooks } from '@atelier/notifications';
import { RedisKeys, createRedisConnection, type RedisClient } from '@atelier/queue';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import { LocalStorage } from '@atelier/storage';
import { ProbeTable } from '../support/probe-table.js';
import { resolvedRequest } from '@atelier/records/testing';
import { JobRuntime, queueDefinitions } from '@atelier/jobs';
import { parseEnvironment } from '@atelier/config';

const request = resolvedRequest({ num_inference_steps: 2, webhook: { url: 'https://hooks.example.test/atelier', events: ['generation.succeeded'] } });

/**
 * A process that dies right after a transition (the transition script returned, nothing else ran)
 * must not take the webhook with it: the transition alone has to be enough for the delivery.
 * (The full-farm version, with a worker SIGKILLed at that point, is test/fault/outbox-crash.)
 */
describe('security: no lost webhook between a transition and its notification (real redis-server, real BullMQ queue)', () => {
  const table = new ProbeTable('transition outbox');
  let server: PrivateRedis;
  let redis: RedisClient;
  let dir: string;
  let queue: Queue;

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
    dir = await mkdtemp(path.join(tmpdir(), 'atelier-outbox-probe-'));
    queue = new JobRuntime({ definitions: queueDefinitions(parseEnvironment({ WEBHOOK_MAX_ATTEMPTS: '3' })), prefix: 'probe', queueConnection: redis, blockingConnection: () => createRedisConnection(server.url) }).queue(QueueName.Webhook);
  });
  after(async () => {
    await queue.close();
    redis.disconnect();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the succeeded transition alone (its process killed before anything else) yields one delivery of generation.succeeded', async () => {
    const keys = new RedisKeys('probe');
    const store = new GenerationStore(redis, keys);
    const multi = redis.multi();
    store.addCreate(multi, { id: 'gen_probe', tenant: 'acme', queue: 'generation', request, warnings: [], createdAt: new Date().toISOString() });
    await multi.exec();
    await store.markStarted({ id: 'gen_probe', tenant: 'acme' }, 'w', 1, new Date());
    // The "worker": exactly the transition, then nothing (as if SIGKILLed when it returned).
    await store.markSucceeded({ id: 'gen_probe', tenant: 'acme' }, [], { total_ms: 1 }, new Date());

    // The API side, twice (a drain that crashed and ran again must not duplicate).
    const storage = new LocalStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'p'.repeat(32) });
    const webhooks = new OutboxWebhooks(store, new BatchStore(redis, keys), new TrainingStore(redis, keys), storage, 60, new ImageTaskStore(redis, keys));
    for (let run = 0; run < 2; run++) {
      const connection = createRedisConnection(server.url);
      await new OutboxDrainer(connection, keys, queue, webhooks, (error) => assert.fail(error.message)).drainOnce(100);
      connection.disconnect();
    }
    const jobs = (await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active'])).map((job) => webhookJobSchema.parse(job.data));
    const succeeded = jobs.filter((job) => job.event === 'generation.succeeded' && job.subject.id === 'gen_probe');
    table.record('worker killed right after the generation.succeeded transition; outbox drained twice', '1 delivery job', `${succeeded.length} delivery job(s)`);
    assert.equal(succeeded.length, 1);
  });
});
