import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import type { WorkerProcess } from '@atelier/local-services';
import { DEFAULT_WORKER_CLASS, createRedisConnection, generationQueueName } from '@atelier/queue';
import { Queue } from 'bullmq';
import { waitUntil } from '../support/api-client.js';
import { SLOW, TINY, auditGenerations, deliveredEvents, duplicateSummary, metricValue, printFigures, seconds, startFaultFarm, type FaultFarm } from '../support/fault-kit.js';

/** Long enough (several seconds at 512×512) to kill the worker mid-inference. */
const STEPS = 500;
/** Seconds of work even with the lean denoising loop, so each crash lands mid-flight. */
const LONG = { ...SLOW, img_width: 1024, img_height: 1024 } as const;

/** The worker (among those alive) whose busy gauge says it is running a job. */
async function busyWorker(workers: readonly WorkerProcess[]): Promise<WorkerProcess | undefined> {
  for (const worker of workers) {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) continue;
    if ((await metricValue(worker.metricsUrl, 'atelier_worker_busy_jobs')) === 1) return worker;
  }
  return undefined;
}

/**
 * SIGKILLs the worker running generation `id` twice, each time once that run is mid-flight (step
 * 20 or later of a fresh run, so the second kill hits the retry, not the first run's last state).
 * Returns when each kill happened and at which step.
 */
async function crashTwiceMidFlight(fault: FaultFarm, id: string, started: number): Promise<string[]> {
  const alive = (): WorkerProcess[] => fault.farm.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
  const kills: string[] = [];
  let stepAtKill = Number.POSITIVE_INFINITY;
  for (let crash = 0; crash < 2; crash++) {
    await waitUntil(
      async () => {
        const view = (await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body;
        if (view.status === 'running' && view.progress.step < stepAtKill) stepAtKill = Number.POSITIVE_INFINITY; // this run's progress
        return view.status === 'running' && view.progress.step >= 20 && stepAtKill === Number.POSITIVE_INFINITY;
      },
      90_000,
      `the job mid-flight before crash ${crash + 1}`,
    );
    const victim = await busyWorker(alive());
    assert.ok(victim, `a worker runs the job before crash ${crash + 1}`);
    stepAtKill = (await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body.progress.step;
    await victim.stop('SIGKILL');
    kills.push(`${seconds(Date.now() - started)} (step ${stepAtKill})`);
  }
  return kills;
}

describe('fault: a worker killed with SIGKILL mid-job', { timeout: 300_000 }, () => {
  let fault: FaultFarm;

  before(async () => {
    // A short lock: the killed worker's job is seen as stalled within a few seconds.
    fault = await startFaultFarm({ workers: 2, env: { WORKER_LOCK_MS: '2000', MAX_STEPS: String(STEPS) } });
  });
  after(async () => {
    await fault?.stop();
  });

  it('the job completes on another worker with one set of outputs and one terminal webhook', async () => {
    const webhook = { url: fault.receiver.url };
    const slow = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...LONG, num_inference_steps: STEPS, webhook });
    assert.equal(slow.status, 202, JSON.stringify(slow.body));
    const id = slow.body.id;
    await fault.api.waitFor<GenerationView>(`/v1/generations/${id}`, (body) => body.status === 'running' && body.progress.step >= 10, 60_000);
    const victim = await busyWorker(fault.farm.workers);
    assert.ok(victim, 'one worker reports the running job');

    const stepAtKill = (await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body.progress.step;
    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    assert.equal(victim.child.signalCode, 'SIGKILL');
    assert.ok(stepAtKill < STEPS, `killed mid-inference (step ${stepAtKill} of ${STEPS})`);

    // Load on the surviving worker while the crash is detected and handled.
    const others: string[] = [];
    for (let index = 0; index < 4; index++) {
      const created = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, seed: index, webhook });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      others.push(created.body.id);
    }

    // Resumed: the record's progress restarts from 0 on the survivor and climbs again.
    let resumedAt = 0;
    await waitUntil(
      async () => {
        const view = (await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body;
        if (view.status === 'succeeded' || (view.status === 'running' && view.progress.step < stepAtKill)) {
          resumedAt = Date.now();
          return true;
        }
        return false;
      },
      60_000,
      'the stalled job to be picked up by the surviving worker',
    );

    const audit = await auditGenerations(fault, 1 + others.length, [id, ...others], { settleMs: 180_000 });
    const slowAudit = audit.generations.find((entry) => entry.id === id);
    assert.ok(slowAudit);
    const finished = slowAudit.view;
    printFigures('worker SIGKILL mid-job (2 workers, WORKER_LOCK_MS=2000)', {
      ...audit.figures,
      'duplicates': duplicateSummary(audit),
      'killed at step': `${stepAtKill} / ${STEPS}`,
      'kill → picked up again': seconds(resumedAt - killedAt),
      'kill → succeeded': finished?.finished_at ? seconds(Date.parse(finished.finished_at) - killedAt) : 'n/a',
      'attempts on the record': slowAudit.attempts,
      'output keys': slowAudit.outputKeys.join(', '),
      'generation.started deliveries': slowAudit.startedDeliveries,
      'terminal deliveries': slowAudit.terminalDeliveries,
    });

    assert.equal(slowAudit.status, 'succeeded', JSON.stringify(finished?.error));
    assert.deepEqual(slowAudit.outputKeys, [`generations/${id}/0.png`], 'exactly one set of outputs');
    assert.equal(slowAudit.terminalDeliveries, 1, 'exactly one terminal webhook');
    assert.equal(
      audit.generations.every((entry) => entry.view?.status !== 'succeeded' || entry.terminalDeliveries === 1),
      true,
    );
    // Observed and documented: the survivor's markStarted finds the record already `running`
    // (the killed attempt never moved it back), so it does not publish a second `started`.
    assert.equal(slowAudit.startedDeliveries, 1, 'generation.started is sent once, for the first attempt only');
    assert.equal(audit.unverifiedDeliveries, 0);
    assert.equal(audit.figures.lost, 0);
    assert.equal(audit.figures.duplicated, 0);
    assert.equal(audit.figures.failed, 0);
    assert.equal(audit.figures.succeeded, audit.figures.accepted);
  });

  it('a job whose worker dies twice still reaches a terminal state with one terminal webhook', async () => {
    // The first test left one worker; two more take the job in turn.
    await fault.farm.addWorker();
    await fault.farm.addWorker();
    const alive = (): WorkerProcess[] => fault.farm.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
    await waitUntil(async () => (await Promise.all(alive().map((worker) => metricValue(worker.metricsUrl, 'atelier_worker_busy_jobs')))).every((value) => value === 0), 120_000, 'idle workers');
    const webhook = { url: fault.receiver.url };
    const created = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...LONG, num_inference_steps: STEPS, seed: 7, webhook });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    const started = Date.now();
    const kills = await crashTwiceMidFlight(fault, id, started);
    // What the queue itself decided (read from the real Redis): BullMQ allows maxStalledCount
    // (default 1) stalls, then fails the job without running it again.
    const connection = createRedisConnection(fault.farm.redisUrl);
    const queue = new Queue(generationQueueName(DEFAULT_WORKER_CLASS), { connection, prefix: 'atelier' });
    let queueState = '';
    let queueReason = '';
    let stalls = 0;
    try {
      let failedSince = 0;
      await waitUntil(
        async () => {
          const view = (await fault.api.request<GenerationView>('GET', `/v1/generations/${id}`)).body;
          const job = await queue.getJob(id);
          queueState = job ? await job.getState() : 'removed';
          queueReason = job?.failedReason ?? '';
          stalls = job?.stalledCounter ?? 0;
          if (['succeeded', 'failed', 'canceled'].includes(view.status)) return true;
          // The queue gave up: give the record a few seconds to follow, then stop waiting.
          if (queueState === 'failed' || queueState === 'completed') failedSince ||= Date.now();
          return failedSince > 0 && Date.now() - failedSince > 5_000;
        },
        90_000,
        'the job to finish after two crashes',
      );
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const audit = await auditGenerations(fault, 1, [id], { settleMs: 1_000, webhookMs: 3_000 });
    const [entry] = audit.generations;
    printFigures('worker SIGKILL twice on the same job', {
      ...audit.figures,
      'duplicates': duplicateSummary(audit),
      crashes: kills.join(', '),
      'BullMQ job state': `${queueState} (stalled ${stalls}×${queueReason ? `, "${queueReason}"` : ''})`,
      'final status': entry.status,
      error: entry.view?.error ? `${entry.view.error.code}: ${entry.view.error.message}` : 'none',
      'terminal deliveries': entry.terminalDeliveries,
      'output keys': entry.outputKeys.length,
    });
    assert.notEqual(entry.status, 'running', 'the record must not stay running after the queue gave up on the job');
    assert.equal(audit.figures.lost, 0);
    assert.equal(entry.terminalDeliveries, 1, 'exactly one terminal webhook');
    assert.equal(audit.figures.duplicated, 0);
  });
});

describe('fault: a job whose workers die more often than maxStalledCount', { timeout: 300_000 }, () => {
  let fault: FaultFarm;

  before(async () => {
    // JOB_ATTEMPTS=1 is also the generation workers' maxStalledCount (see libs/jobs' queue table):
    // the second death of the job's worker is one stall too many.
    fault = await startFaultFarm({ workers: 3, env: { WORKER_LOCK_MS: '2000', MAX_STEPS: String(STEPS), JOB_ATTEMPTS: '1' } });
  });
  after(async () => {
    await fault?.stop();
  });

  it('ends failed (worker_lost) once, with exactly one generation.failed webhook', async () => {
    const created = await fault.api.request<GenerationView>('POST', '/v1/generations', { ...LONG, num_inference_steps: STEPS, seed: 11, webhook: { url: fault.receiver.url } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;
    await crashTwiceMidFlight(fault, id, Date.now());
    const audit = await auditGenerations(fault, 1, [id], { settleMs: 90_000, webhookMs: 10_000 });
    const [entry] = audit.generations;
    const failedDeliveries = deliveredEvents(fault.receiver).filter((event) => event.generationId === id && event.type === 'generation.failed' && event.answered < 300);
    printFigures('worker SIGKILL past maxStalledCount', {
      ...audit.figures,
      'final status': entry.status,
      error: entry.view?.error ? `${entry.view.error.code}: ${entry.view.error.message}` : 'none',
      'generation.failed deliveries': failedDeliveries.length,
      'terminal deliveries': entry.terminalDeliveries,
    });
    assert.equal(entry.status, 'failed');
    assert.equal(entry.view?.error?.code, 'worker_lost');
    assert.equal(failedDeliveries.length, 1, 'exactly one generation.failed webhook');
    assert.equal(entry.terminalDeliveries, 1, 'no other terminal webhook');
    assert.equal(entry.outputKeys.length, 0);
  });
});
