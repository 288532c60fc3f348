import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationStatus, ImageTaskKind, type ImageTaskKind as Kind, type ImageTaskStatus } from '@atelier/contracts';
import { createFarmMetrics, type FarmMetrics } from '@atelier/metrics';
import type { ImageTaskMove } from '@atelier/records';
import { ImageTaskLifecycle, type ImageTaskRef, type ImageTaskTransitions } from './image-task-lifecycle.js';

const { Queued, Running, Succeeded, Failed, Canceled } = GenerationStatus;

/**
 * image-task-store.ts's transition rules in memory (a move only from an allowed status, started
 * only when a queued task starts its first attempt, each applied move's event recorded in the
 * same step), so the owner's own logic is tested without Redis; the real script has its own
 * real-Redis test (libs/records image-task-store.test.ts).
 */
class InMemoryImageTasks implements ImageTaskTransitions {
  readonly status = new Map<string, ImageTaskStatus>();
  readonly kinds = new Map<string, Kind>();
  readonly attempts = new Map<string, number>();
  /** One entry per applied step: the events that step recorded. */
  readonly steps: string[][] = [];

  add(id: string): ImageTaskRef {
    this.status.set(id, Queued);
    this.kinds.set(id, ImageTaskKind.Preprocess);
    return { id, kind: ImageTaskKind.Preprocess, tenant: 't' };
  }

  private move(task: ImageTaskRef, to: ImageTaskStatus, from: readonly ImageTaskStatus[], state: string | undefined): ImageTaskMove {
    const previous = this.status.get(task.id);
    if (previous === undefined || !from.includes(previous)) return { applied: false, previous };
    this.status.set(task.id, to);
    this.steps.push(state ? [`${task.kind}.${state}`] : []);
    return { applied: true, previous };
  }

  async markStarted(task: ImageTaskRef, _workerId: string, attempt: number): Promise<ImageTaskMove> {
    const first = this.status.get(task.id) === Queued && (this.attempts.get(task.id) ?? 0) === 0;
    this.attempts.set(task.id, attempt);
    return this.move(task, Running, [Queued, Running], first ? 'started' : undefined);
  }

  async markSucceeded(task: ImageTaskRef): Promise<ImageTaskMove> {
    return this.move(task, Succeeded, [Running], 'succeeded');
  }

  async markFailed(task: ImageTaskRef): Promise<ImageTaskMove> {
    return this.move(task, Failed, [Queued, Running], 'failed');
  }

  async markCanceled(task: ImageTaskRef, from: readonly ImageTaskStatus[]): Promise<ImageTaskMove> {
    return this.move(task, Canceled, from, 'canceled');
  }

  async markRequeued(task: ImageTaskRef): Promise<ImageTaskMove> {
    return this.move(task, Queued, [Running], undefined);
  }

  async get(id: string): Promise<{ id: string; kind: Kind; tenant: string } | undefined> {
    const kind = this.kinds.get(id);
    return kind && { id, kind, tenant: 't' };
  }
}

const OUTCOME = {
  outputs: [{ index: 0, kind: 'control', key: 'tasks/t/0.png', width: 64, height: 64, content_type: 'image/png' }],
  metadata: {},
  timings: { queue_wait_ms: 1, run_ms: 250, upload_ms: 1, total_ms: 252 },
};

async function completed(metrics: FarmMetrics, outcome: string): Promise<number> {
  return (await metrics.jobsCompleted.get()).values.find((value) => value.labels.job_type === 'preprocess' && value.labels.outcome === outcome)?.value ?? 0;
}

describe('ImageTaskLifecycle (the owner of image task transitions; in-memory store)', () => {
  it('moves queued → running → succeeded with the kind\'s events, started on the first attempt only, and times the success by kind', async () => {
    const store = new InMemoryImageTasks();
    const metrics = createFarmMetrics('worker', 'test');
    const lifecycle = new ImageTaskLifecycle(store, metrics);
    const task = store.add('tsk_1');
    assert.equal((await lifecycle.start(task, 'w', 1, new Date())).applied, true);
    assert.equal((await lifecycle.attemptFailed(task, { code: 'inference_failed', message: 'x' }, false, new Date())).applied, true, 'a retry goes back to queued');
    assert.equal((await lifecycle.start(task, 'w', 2, new Date())).applied, true);
    assert.equal((await lifecycle.succeed(task, OUTCOME, new Date())).applied, true);
    assert.equal((await lifecycle.succeed(task, OUTCOME, new Date())).applied, false, 'a terminal state is written once');
    assert.equal((await lifecycle.cancel(task, [Queued, Running], new Date())).applied, false, 'a finished task is not canceled');
    assert.deepEqual(store.steps, [['preprocess.started'], [], [], ['preprocess.succeeded']]);
    const histogram = (await metrics.postprocess.get()).values;
    assert.equal(histogram.find((value) => value.metricName === 'atelier_postprocess_seconds_count' && value.labels.kind === 'preprocess')?.value, 1);
    assert.equal(histogram.find((value) => value.metricName === 'atelier_postprocess_seconds_sum' && value.labels.kind === 'preprocess')?.value, 0.25);
    assert.equal(await completed(metrics, 'succeeded'), 1);
    assert.equal(await completed(metrics, 'retried'), 1);
  });

  it("refuses a cancel from a state the caller did not allow (the API's queued-only cancel) and counts nothing", async () => {
    const store = new InMemoryImageTasks();
    const metrics = createFarmMetrics('worker', 'test');
    const lifecycle = new ImageTaskLifecycle(store, metrics);
    const task = store.add('tsk_2');
    await lifecycle.start(task, 'w', 1, new Date());
    const refused = await lifecycle.cancel(task, [Queued], new Date());
    assert.deepEqual(refused, { applied: false, previous: Running });
    assert.equal(await completed(metrics, 'canceled'), 0);
    assert.equal((await lifecycle.cancel(task, [Queued, Running], new Date())).applied, true);
    assert.equal(await completed(metrics, 'canceled'), 1);
    assert.deepEqual(store.steps.at(-1), ['preprocess.canceled']);
  });

  it('fails a final attempt with its webhook, hands a task back without one, and ends a lost task once', async () => {
    const store = new InMemoryImageTasks();
    const lifecycle = new ImageTaskLifecycle(store);
    const handed = store.add('tsk_3');
    await lifecycle.start(handed, 'w', 1, new Date());
    assert.equal((await lifecycle.handBack(handed)).applied, true);
    assert.equal(store.status.get('tsk_3'), Queued);
    await lifecycle.start(handed, 'w', 1, new Date());
    assert.equal((await lifecycle.attemptFailed(handed, { code: 'invalid_image', message: 'image: not an image' }, true, new Date())).applied, true);
    assert.equal(store.status.get('tsk_3'), Failed);
    const lost = store.add('tsk_4');
    await lifecycle.start(lost, 'w', 1, new Date());
    assert.equal((await lifecycle.lost('tsk_4', new Date()))?.applied, true);
    assert.equal((await lifecycle.lost('tsk_4', new Date()))?.applied, false);
    assert.equal(await lifecycle.lost('tsk_nobody', new Date()), undefined);
    assert.deepEqual(store.steps, [['preprocess.started'], [], [], ['preprocess.failed'], ['preprocess.started'], ['preprocess.failed']]);
  });
});
