import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Job } from 'bullmq';
import { JobName, QueueName } from '@atelier/contracts';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { createRedisConnection, type RedisClient } from '@atelier/queue';
import { JobHandlerMismatchError } from './handler-check.js';
import { JobRuntime } from './job-runtime.js';
import { queueDefinitions, type QueueEnvironment } from './queue-definitions.js';

const ENV: QueueEnvironment = { JOB_ATTEMPTS: 1, WORKER_CONCURRENCY: 2, WORKER_LOCK_MS: 1_000, WEBHOOK_MAX_ATTEMPTS: 4, WEBHOOK_CONCURRENCY: 3 };

/** Resolves with the first value `probe` returns that is not undefined. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 20_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('JobRuntime (real redis-server, real BullMQ)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  let prefix: string;
  const runtimes: JobRuntime[] = [];

  const runtime = (env: QueueEnvironment = ENV): JobRuntime => {
    const created = new JobRuntime({ definitions: queueDefinitions(env), prefix, queueConnection: redis, blockingConnection: () => createRedisConnection(server.url) });
    runtimes.push(created);
    return created;
  };

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
  });
  // A fresh prefix per test: its queues start empty.
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((created) => created.close()));
    prefix = '';
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });
  const fresh = (): void => {
    prefix = `jobs-${randomUUID().slice(0, 8)}`;
  };

  it('the table defines every queue kind, and each job name belongs to exactly one queue', () => {
    const definitions = queueDefinitions(ENV);
    assert.deepEqual(Object.keys(definitions).sort(), Object.values(QueueName).sort());
    const carried = Object.values(definitions).flatMap((definition) => definition.jobs);
    assert.deepEqual([...carried].sort(), Object.values(JobName).sort());
  });

  it('creates queues and workers with the table\'s job and worker options', async () => {
    fresh();
    const jobs = runtime();
    const seen: Array<{ name: string; attempts: number | undefined; data: unknown }> = [];
    jobs.register(JobName.GenerateImage, async (job) => {
      seen.push({ name: job.name, attempts: job.opts.attempts, data: job.data });
      return { outputs: 1 };
    });
    const worker = jobs.consume(QueueName.Generation, { name: 'generation-gpu' });
    assert.equal(worker.opts.concurrency, 2);
    assert.equal(worker.opts.lockDuration, 1_000);
    assert.equal(worker.opts.maxStalledCount, 1);
    assert.equal(worker.opts.prefix, prefix);
    jobs.start();
    const queue = jobs.queue(QueueName.Generation, 'generation-gpu');
    assert.equal(jobs.queue(QueueName.Generation, 'generation-gpu'), queue, 'one Queue per name');
    assert.equal(queue.defaultJobOptions.attempts, 1);
    await queue.add(JobName.GenerateImage, { v: 1 }, { jobId: 'a' });
    const finished = await eventually(async () => ((await queue.getJobState('a')) === 'completed' ? true : undefined), 'job a to complete');
    assert.equal(finished, true);
    assert.deepEqual(seen, [{ name: JobName.GenerateImage, attempts: 1, data: { v: 1 } }]);
  });

  it('refuses to start without a handler for a consumed job name, naming it', () => {
    fresh();
    const jobs = runtime();
    jobs.consume(QueueName.Generation);
    jobs.consume(QueueName.Training);
    jobs.register(JobName.GenerateImage, async () => undefined);
    assert.throws(
      () => jobs.start(),
      (error: unknown) => error instanceof JobHandlerMismatchError && error.code === 'job_handler_mismatch' && error.missing.join() === JobName.TrainLora && /no handler for train-lora/.test(error.message),
    );
  });

  it('refuses to start with two handlers for one job name, or one for a job it does not consume', () => {
    fresh();
    const jobs = runtime();
    jobs.consume(QueueName.Generation);
    jobs.register(JobName.GenerateImage, async () => undefined);
    jobs.register(JobName.GenerateImage, async () => undefined);
    jobs.register(JobName.DeliverWebhook, async () => undefined);
    assert.throws(
      () => jobs.start(),
      (error: unknown) =>
        error instanceof JobHandlerMismatchError && error.duplicated.join() === JobName.GenerateImage && error.unconsumed.join() === JobName.DeliverWebhook && error.missing.length === 0,
    );
  });

  it('asks a queue with a custom backoff for its strategy, and refuses names of another kind', () => {
    fresh();
    const jobs = runtime();
    assert.throws(() => jobs.consume(QueueName.Webhook), /custom backoff/);
    assert.equal(jobs.consume(QueueName.Webhook, { backoffStrategy: () => 10 }).opts.concurrency, 3);
    assert.throws(() => jobs.queue(QueueName.Webhook, 'webhook-gpu'), /not a queue of kind webhook/);
    assert.throws(() => jobs.queue(QueueName.Generation, 'training'), /not a queue of kind generation/);
  });

  it('fails a job whose name has no handler as unrecoverable, without retrying it', async () => {
    fresh();
    const jobs = runtime({ ...ENV, JOB_ATTEMPTS: 3 });
    jobs.register(JobName.GenerateImage, async () => undefined);
    jobs.consume(QueueName.Generation);
    jobs.start();
    const queue = jobs.queue(QueueName.Generation);
    await queue.add('resize-image', {}, { jobId: 'odd' });
    await eventually(async () => ((await queue.getJobState('odd')) === 'failed' ? true : undefined), 'the odd job to fail');
    const job = await queue.getJob('odd');
    assert.equal(job?.attemptsMade, 1, 'no retry of a job no handler can run');
  });

  it('reports a job that stalled more often than maxStalledCount, without running its handler', async () => {
    fresh();
    // The victim takes the job and dies holding it (its lock is never renewed), twice; its worker
    // only runs BullMQ's stalled-job checker (it never runs jobs itself).
    const victim = runtime();
    const victimWorker = victim.consume(QueueName.Generation);
    void victimWorker.startStalledCheckTimer();
    const queue = victim.queue(QueueName.Generation);
    await queue.add(JobName.GenerateImage, {}, { jobId: 'doomed' });
    for (let death = 1; death <= 2; death++) {
      const taken = await eventually(async () => (await victimWorker.getNextJob(`victim-${death}`, { block: false })) ?? undefined, `the victim to take the job (${death})`);
      assert.equal(taken.id, 'doomed');
      await eventually(async () => ((await queue.getJobState('doomed')) === 'waiting' ? true : undefined), `stall ${death} to be detected`);
    }
    // The survivor takes it next: BullMQ fails it without running the handler, and says why in the job's fields.
    const survivor = runtime();
    const ran: string[] = [];
    const lost: string[] = [];
    survivor.register(JobName.GenerateImage, async (job) => void ran.push(String(job.id)));
    survivor.consume(QueueName.Generation, { onStalledTooOften: (job: Job) => lost.push(String(job.id)) });
    survivor.start();
    await eventually(async () => ((await queue.getJobState('doomed')) === 'failed' ? true : undefined), 'the doomed job to fail');
    await eventually(async () => (lost.length > 0 ? true : undefined), 'the stalled-too-often report');
    assert.deepEqual(lost, ['doomed']);
    assert.deepEqual(ran, [], 'BullMQ fails such a job without running the handler');
    assert.equal((await queue.getJob('doomed'))?.stalledCounter, 2);
  });

  it('does not report an ordinary failure as stalled too often', async () => {
    fresh();
    const jobs = runtime();
    const lost: string[] = [];
    const failed: string[] = [];
    jobs.register(JobName.GenerateImage, async () => Promise.reject(new Error('inference failed')));
    jobs.consume(QueueName.Generation, { onStalledTooOften: (job: Job) => lost.push(String(job.id)), onFailed: (job) => failed.push(String(job?.id)) });
    jobs.start();
    await jobs.queue(QueueName.Generation).add(JobName.GenerateImage, {}, { jobId: 'plain' });
    await eventually(async () => (failed.length > 0 ? true : undefined), 'the failure');
    assert.deepEqual(failed, ['plain']);
    assert.deepEqual(lost, []);
  });
});
