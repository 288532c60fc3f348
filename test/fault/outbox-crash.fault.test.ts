import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { GenerationView } from '@atelier/contracts';
import type { WorkerProcess } from '@atelier/local-services';
import { DEFAULT_WORKER_CLASS, RedisKeys, createRedisConnection, generationQueueName } from '@atelier/queue';
import { waitUntil } from '../support/api-client.js';
import { TINY, auditGenerations, deliveredEvents, duplicateSummary, printFigures, sleep, startFaultFarm, within, type FaultFarm } from '../support/fault-kit.js';

/** The test hook (libs/lifecycle/src/fault-point.ts): SIGKILL right after the transition script returned. */
const KILL_AFTER_SUCCEEDED = { ATELIER_FAULT_POINT: 'after-transition:generation.succeeded' };

describe('fault: a worker killed between a transition and anything after it', { timeout: 300_000 }, () => {
  let fault: FaultFarm;
  let healthy: WorkerProcess;

  before(async () => {
    // A short lock: the dead worker's job is seen as stalled within seconds and retried elsewhere.
    fault = await startFaultFarm({ workers: 1, env: { WORKER_LOCK_MS: '2000' } });
    healthy = fault.farm.workers[0];
  });
  after(async () => {
    await fault?.stop();
  });

  /** Parks the healthy worker (registered, taking no jobs) and starts one armed with the fault point. */
  const armedWorker = async (): Promise<WorkerProcess> => {
    assert.equal((await fault.api.request('POST', `/v1/workers/${healthy.id}/drain`)).status, 202);
    const victim = await fault.farm.addWorker(KILL_AFTER_SUCCEEDED);
    await waitUntil(
      async () => (await fault.api.request<{ data: Array<{ id: string; models: string[] }> }>('GET', '/v1/workers')).body.data.some((worker) => worker.id === victim.id && worker.models.includes('demo-sd15')),
      120_000,
      'the armed worker to register',
    );
    await sleep(1_500); // the API caches the live-worker list for a second
    return victim;
  };
  const died = async (victim: WorkerProcess): Promise<void> => {
    if (victim.child.exitCode === null && victim.child.signalCode === null) await within(once(victim.child, 'exit'), 120_000, 'the armed worker to reach its fault point');
    assert.equal(victim.child.signalCode, 'SIGKILL', 'the worker died at the fault point');
  };
  /** The healthy worker takes jobs again and finishes the dead worker's stalled one. */
  const resumeHealthy = async (jobId: string): Promise<string> => {
    assert.equal((await fault.api.request('POST', `/v1/workers/${healthy.id}/undrain`)).status, 202);
    const connection = createRedisConnection(fault.farm.redisUrl);
    const queue = new Queue(generationQueueName(DEFAULT_WORKER_CLASS), { connection, prefix: 'atelier' });
    let state = '';
    try {
      await waitUntil(async () => ['completed', 'failed'].includes((state = (await (await queue.getJob(jobId))?.getState()) ?? 'removed')), 60_000, 'the stalled job to be finished');
    } finally {
      await queue.close();
      connection.disconnect();
    }
    return state;
  };
  const outboxLength = async (): Promise<number> => {
    const connection = createRedisConnection(fault.farm.redisUrl);
    try {
      return await connection.xlen(new RedisKeys('atelier').outbox());
    } finally {
      connection.disconnect();
    }
  };

  it('generation.succeeded arrives exactly once although the worker died right after the transition', async () => {
    const victim = await armedWorker();
    const created = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, webhook: { url: fault.receiver.url } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    await died(victim);
    assert.equal((await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body.status, 'succeeded', 'the transition was written before the kill');

    const jobState = await resumeHealthy(id);
    const audit = await auditGenerations(fault, 1, [id], { settleMs: 30_000, webhookMs: 30_000, graceMs: 3_000 });
    const [entry] = audit.generations;
    const succeeded = deliveredEvents(fault.receiver).filter((event) => event.generationId === id && event.type === 'generation.succeeded');
    printFigures('worker SIGKILL at after-transition:generation.succeeded', {
      ...audit.figures,
      duplicates: duplicateSummary(audit),
      'worker exit': `signal ${victim.child.signalCode}`,
      'status after the kill': entry.status,
      'generation.succeeded deliveries (distinct webhook-id)': `${succeeded.length} (${new Set(succeeded.map((event) => event.messageId)).size})`,
      'generation.started deliveries': entry.startedDeliveries,
      'BullMQ job after retry on the healthy worker': jobState,
      'output keys': entry.outputKeys.join(', '),
      'outbox entries left': await outboxLength(),
    });
    assert.equal(entry.status, 'succeeded');
    assert.equal(succeeded.length, 1, 'generation.succeeded delivered exactly once');
    assert.equal(new Set(succeeded.map((event) => event.messageId)).size, 1);
    assert.equal(entry.terminalDeliveries, 1);
    assert.equal(entry.startedDeliveries, 1, 'generation.started is not lost either');
    assert.deepEqual(entry.outputKeys, [`generations/${id}/0.png`], 'one set of outputs');
    assert.equal(jobState, 'completed', 'the retried job sees the terminal status and completes without running again');
    assert.equal(audit.unverifiedDeliveries, 0);
    assert.equal(audit.figures.lost, 0);
    assert.equal(audit.figures.duplicated, 0);
    assert.equal(await outboxLength(), 0, 'the outbox is drained');
  });

  it('batch.completed arrives exactly once when the worker dies right after finishing the last item', async () => {
    const victim = await armedWorker();
    const submitted = await fault.api.request<{ id: string; generations?: unknown }>('POST', '/v1/batches', { requests: [{ ...TINY, seed: 3 }], webhook: { url: fault.receiver.url } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const batchId = submitted.body.id;
    await died(victim);
    const batch = await fault.api.request<{ status: string; generations: { data: Array<{ id: string; status: string }> } }>('GET', `/v1/batches/${batchId}`);
    assert.equal(batch.body.status, 'completed');
    const [item] = batch.body.generations.data;
    assert.equal(item.status, 'succeeded');
    const jobState = await resumeHealthy(item.id);
    const completions = (): Array<{ messageId: string; verified: boolean }> =>
      fault.receiver.deliveries
        .filter((delivery) => (JSON.parse(delivery.body) as { type: string; data?: { id?: string } }).type === 'batch.completed' && delivery.body.includes(batchId))
        .map((delivery) => ({ messageId: String(delivery.headers['webhook-id'] ?? ''), verified: delivery.verified }));
    await waitUntil(() => completions().length > 0, 30_000, 'batch.completed');
    await sleep(3_000); // a duplicate would arrive in this window
    printFigures('worker SIGKILL at after-transition:generation.succeeded of a batch\'s last item', {
      'worker exit': `signal ${victim.child.signalCode}`,
      'batch status': batch.body.status,
      'batch.completed deliveries': completions().length,
      'BullMQ job after retry': jobState,
      'outbox entries left': await outboxLength(),
    });
    assert.equal(completions().length, 1, 'batch.completed delivered exactly once');
    assert.ok(completions().every((delivery) => delivery.verified));
    assert.equal(jobState, 'completed');
    assert.equal(await outboxLength(), 0);
  });
});
