import {
  WebhookEvent,
  type AppliedAdaptersView,
  type GenerationError,
  type GenerationRecord,
  type GenerationStatus,
  type GenerationTimings,
  type StoredOutput,
} from '@atelier/contracts';
import type { FarmMetrics } from '@atelier/metrics';
import { refOf, type GenerationRef, type GenerationStore, type TransitionResult } from '@atelier/records';
import { faultPoint } from './fault-point.js';

/** The store's atomic transitions, all the owner needs (an in-memory fake in unit tests). */
export type GenerationTransitions = Pick<GenerationStore, 'markStarted' | 'markSucceeded' | 'markFailed' | 'markCanceled' | 'markRequeued'> & {
  /** What `lost` needs to address a record it only knows by id. */
  get(id: string): Promise<Pick<GenerationRecord, 'id' | 'batch_id' | 'tenant'> | undefined>;
};

/**
 * The only code that moves a generation between states. Each move is one atomic step in Redis
 * (the status, the batch counters and the outbox entry of its webhook, see transition.lua.ts):
 * the move that makes the last generation of a batch terminal also records `batch.completed`,
 * so a batch needs no owner of its own and its completion cannot be separated from that move.
 * The API's outbox drainer turns outbox entries into webhook deliveries, so a crash right after
 * a move cannot lose its webhook. Metrics (process-local counters) are recorded after the step
 * when `metrics` is given (workers: "jobs that left a worker"); the API passes none.
 */
export class GenerationLifecycle {
  constructor(
    private readonly store: GenerationTransitions,
    private readonly metrics?: FarmMetrics,
  ) {}

  /** Running; `generation.started` is recorded only when a queued job starts its first attempt. */
  async start(ref: GenerationRef, workerId: string, attempt: number, now: Date): Promise<TransitionResult> {
    const result = await this.store.markStarted(ref, workerId, attempt, now);
    faultPoint(`after-transition:${WebhookEvent.GenerationStarted}`);
    return result;
  }

  async succeed(
    ref: GenerationRef,
    outcome: { outputs: readonly StoredOutput[]; timings: GenerationTimings & { total_ms: number }; adapters?: AppliedAdaptersView; modelFamily: string },
    now: Date,
  ): Promise<TransitionResult> {
    const result = await this.store.markSucceeded(ref, outcome.outputs, outcome.timings, now, outcome.adapters);
    faultPoint(`after-transition:${WebhookEvent.GenerationSucceeded}`);
    if (result.applied && this.metrics) {
      this.metrics.imagesGenerated.inc({ model_family: outcome.modelFamily }, outcome.outputs.length);
      this.metrics.jobsCompleted.inc({ job_type: 'generation', outcome: 'succeeded' });
      this.metrics.endToEnd.observe({ job_type: 'generation', model_family: outcome.modelFamily }, outcome.timings.total_ms / 1000);
    }
    return result;
  }

  async fail(ref: GenerationRef, error: GenerationError, timings: GenerationTimings, now: Date): Promise<TransitionResult> {
    const result = await this.store.markFailed(ref, error, timings, now);
    faultPoint(`after-transition:${WebhookEvent.GenerationFailed}`);
    if (result.applied) this.metrics?.jobsCompleted.inc({ job_type: 'generation', outcome: 'failed' });
    return result;
  }

  async cancel(ref: GenerationRef, from: readonly GenerationStatus[], now: Date): Promise<TransitionResult> {
    const result = await this.store.markCanceled(ref, from, now);
    faultPoint(`after-transition:${WebhookEvent.GenerationCanceled}`);
    if (result.applied) this.metrics?.jobsCompleted.inc({ job_type: 'generation', outcome: 'canceled' });
    return result;
  }

  /**
   * Back to queued (no webhook): `requeued` when a shutting-down worker hands the job back,
   * `retried` when a failed attempt will be retried. Counted whether or not it applied.
   */
  async requeue(ref: GenerationRef, error: GenerationError, reason: 'requeued' | 'retried'): Promise<TransitionResult> {
    const result = await this.store.markRequeued(ref, error);
    this.metrics?.jobsCompleted.inc({ job_type: 'generation', outcome: reason });
    return result;
  }

  /**
   * A failed attempt: counted by its code, then `final` → failed (with its webhook), otherwise
   * back to queued for BullMQ's retry.
   */
  async attemptFailed(ref: GenerationRef, error: GenerationError, final: boolean, now: Date): Promise<TransitionResult> {
    this.metrics?.jobFailures.inc({ job_type: 'generation', code: error.code });
    return final ? this.fail(ref, error, {}, now) : this.requeue(ref, error, 'retried');
  }

  /** A shutting-down worker hands the running job back: queued again, no attempt spent. */
  async handBack(ref: GenerationRef): Promise<TransitionResult> {
    return this.requeue(ref, { code: 'worker_shutdown', message: 'worker shut down; job handed back' }, 'requeued');
  }

  /**
   * BullMQ gave up on a job whose workers kept dying (it stalled too often) without running a
   * handler: the record must still reach a terminal state, or it would stay "running" forever.
   */
  async lost(generationId: string, now: Date): Promise<TransitionResult | undefined> {
    const record = await this.store.get(generationId);
    if (!record) return undefined;
    return this.fail(refOf(record), { code: 'worker_lost', message: "the job's workers stopped responding too many times" }, {}, now);
  }
}
