import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationStatus, WebhookEvent } from '@atelier/contracts';
import { createFarmMetrics, type FarmMetrics } from '@atelier/metrics';
import type { GenerationRef, TransitionResult } from '@atelier/records';
import { GenerationLifecycle, type GenerationTransitions } from './generation-lifecycle.js';

/**
 * The transition rules of transition.lua.ts in memory (status from an allowed set, started only
 * on a first start, batch completed by its last terminal item, each step's outbox entries
 * appended together), so the owner's own logic is tested without Redis. The real script has its
 * own real-Redis tests (libs/records generation-store.test.ts).
 */
class InMemoryTransitions implements GenerationTransitions {
  readonly status = new Map<string, GenerationStatus>();
  readonly started = new Set<string>();
  readonly batches = new Map<string, { total: number; finished: number }>();
  /** One entry per atomic step: the events that step appended. */
  readonly steps: string[][] = [];

  private readonly refs = new Map<string, GenerationRef>();

  add(id: string, batch?: { id: string; total: number }): GenerationRef {
    this.status.set(id, GenerationStatus.Queued);
    this.refs.set(id, { id, tenant: 't', batchId: batch?.id });
    if (batch && !this.batches.has(batch.id)) this.batches.set(batch.id, { total: batch.total, finished: 0 });
    return { id, tenant: 't', batchId: batch?.id };
  }

  private move(ref: GenerationRef, to: GenerationStatus, from: readonly GenerationStatus[], event: string | undefined): TransitionResult {
    const previous = this.status.get(ref.id);
    if (previous === undefined || !from.includes(previous)) return { applied: false, previous, batchCompleted: false, eventAppended: false };
    this.status.set(ref.id, to);
    const events = event ? [event] : [];
    let batchCompleted = false;
    const terminal = to === GenerationStatus.Succeeded || to === GenerationStatus.Failed || to === GenerationStatus.Canceled;
    const batch = ref.batchId ? this.batches.get(ref.batchId) : undefined;
    if (terminal && batch) {
      batch.finished += 1;
      batchCompleted = batch.finished === batch.total;
      if (batchCompleted) events.push(WebhookEvent.BatchCompleted);
    }
    this.steps.push(events);
    return { applied: true, previous, batchCompleted, eventAppended: event !== undefined };
  }

  async markStarted(ref: GenerationRef): Promise<TransitionResult> {
    const first = !this.started.has(ref.id);
    this.started.add(ref.id);
    return this.move(ref, GenerationStatus.Running, [GenerationStatus.Queued, GenerationStatus.Running], first ? WebhookEvent.GenerationStarted : undefined);
  }

  async markRequeued(ref: GenerationRef): Promise<TransitionResult> {
    return this.move(ref, GenerationStatus.Queued, [GenerationStatus.Running], undefined);
  }

  async markSucceeded(ref: GenerationRef): Promise<TransitionResult> {
    return this.move(ref, GenerationStatus.Succeeded, [GenerationStatus.Running], WebhookEvent.GenerationSucceeded);
  }

  async markFailed(ref: GenerationRef): Promise<TransitionResult> {
    return this.move(ref, GenerationStatus.Failed, [GenerationStatus.Queued, GenerationStatus.Running], WebhookEvent.GenerationFailed);
  }

  async get(id: string): Promise<{ id: string; batch_id?: string; tenant: string } | undefined> {
    const ref = this.refs.get(id);
    return ref && { id: ref.id, batch_id: ref.batchId, tenant: ref.tenant };
  }

  async markCanceled(ref: GenerationRef, from: readonly GenerationStatus[]): Promise<TransitionResult> {
    return this.move(ref, GenerationStatus.Canceled, from, WebhookEvent.GenerationCanceled);
  }
}

async function count(metrics: FarmMetrics, outcome: string): Promise<number> {
  const values = (await metrics.jobsCompleted.get()).values;
  return values.find((value) => value.labels.outcome === outcome && value.labels.job_type === 'generation')?.value ?? 0;
}

const OUTCOME = { outputs: [{ index: 0, key: 'k', seed: 1, width: 64, height: 64, content_type: 'image/png' }], timings: { total_ms: 1000 }, modelFamily: 'sd15' };

describe('GenerationLifecycle (the owner of generation and batch transitions; in-memory store)', () => {
  it('records generation.started on the first start only and counts a success once, when it applied', async () => {
    const store = new InMemoryTransitions();
    const metrics = createFarmMetrics('worker', 'test');
    const lifecycle = new GenerationLifecycle(store, metrics);
    const ref = store.add('g1');
    assert.equal((await lifecycle.start(ref, 'w', 1, new Date())).applied, true);
    assert.equal((await lifecycle.requeue(ref, { code: 'x', message: 'retry' }, 'retried')).applied, true);
    assert.equal((await lifecycle.start(ref, 'w', 2, new Date())).applied, true);
    assert.equal((await lifecycle.succeed(ref, OUTCOME, new Date())).applied, true);
    assert.equal((await lifecycle.succeed(ref, OUTCOME, new Date())).applied, false, 'a terminal state is written once');
    assert.deepEqual(store.steps, [[WebhookEvent.GenerationStarted], [], [], [WebhookEvent.GenerationSucceeded]]);
    assert.equal(await count(metrics, 'succeeded'), 1);
    assert.equal(await count(metrics, 'retried'), 1);
    const images = (await metrics.imagesGenerated.get()).values.find((value) => value.labels.model_family === 'sd15')?.value;
    assert.equal(images, 1);
  });

  it('completes a batch in the same step as the transition of its last generation, whatever that transition is', async () => {
    const store = new InMemoryTransitions();
    const lifecycle = new GenerationLifecycle(store);
    const batch = { id: 'b1', total: 3 };
    const [a, b, c] = ['a', 'b', 'c'].map((id) => store.add(id, batch));
    await lifecycle.start(a, 'w', 1, new Date());
    await lifecycle.succeed(a, OUTCOME, new Date());
    await lifecycle.fail(b, { code: 'inference_failed', message: 'x' }, {}, new Date());
    const canceled = await lifecycle.cancel(c, [GenerationStatus.Queued], new Date());
    assert.equal(canceled.batchCompleted, true);
    assert.deepEqual(store.steps.at(-1), [WebhookEvent.GenerationCanceled, WebhookEvent.BatchCompleted]);
    assert.equal(store.steps.flat().filter((event) => event === WebhookEvent.BatchCompleted).length, 1);
  });

  it("refuses a cancel from a state the caller did not allow and counts nothing (the API's queued-only cancel)", async () => {
    const store = new InMemoryTransitions();
    const metrics = createFarmMetrics('worker', 'test');
    const lifecycle = new GenerationLifecycle(store, metrics);
    const ref = store.add('g2');
    await lifecycle.start(ref, 'w', 1, new Date());
    const result = await lifecycle.cancel(ref, [GenerationStatus.Queued], new Date());
    assert.equal(result.applied, false);
    assert.equal(result.previous, GenerationStatus.Running);
    assert.equal(await count(metrics, 'canceled'), 0);
    assert.equal((await lifecycle.cancel(ref, [GenerationStatus.Queued, GenerationStatus.Running], new Date())).applied, true);
    assert.equal(await count(metrics, 'canceled'), 1);
  });

  it('fails a job lost to dying workers by its id alone, once, and ignores an unknown id', async () => {
    const store = new InMemoryTransitions();
    const metrics = createFarmMetrics('worker', 'test');
    const lifecycle = new GenerationLifecycle(store, metrics);
    const ref = store.add('g3');
    await lifecycle.start(ref, 'w', 1, new Date());
    assert.equal((await lifecycle.lost('g3', new Date()))?.applied, true);
    assert.equal(store.status.get('g3'), GenerationStatus.Failed);
    assert.equal((await lifecycle.lost('g3', new Date()))?.applied, false, 'a terminal state is written once');
    assert.equal(await lifecycle.lost('nobody', new Date()), undefined);
    assert.deepEqual(store.steps.at(-1), [WebhookEvent.GenerationFailed]);
  });
});
