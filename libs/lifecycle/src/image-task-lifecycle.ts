import { imageTaskEvent, type ImageTaskOutput, type ImageTaskRecord, type ImageTaskStatus } from '@atelier/contracts';
import type { FarmMetrics } from '@atelier/metrics';
import type { ImageTaskMove, ImageTaskRef, ImageTaskStore } from '@atelier/records';
import { faultPoint } from './fault-point.js';

/** The store's atomic transitions, all the owner needs (an in-memory fake in unit tests). */
export type ImageTaskTransitions = Pick<ImageTaskStore, 'markStarted' | 'markSucceeded' | 'markFailed' | 'markCanceled' | 'markRequeued'> & {
  /** What `lost` needs to address a task it only knows by id. */
  get(id: string): Promise<Pick<ImageTaskRecord, 'id' | 'kind' | 'tenant'> | undefined>;
};

export type { ImageTaskRef };

export interface ImageTaskOutcome {
  readonly outputs: readonly ImageTaskOutput[];
  readonly metadata: Record<string, unknown>;
  readonly timings: NonNullable<ImageTaskRecord['timings']>;
  /** The last progress reported (tiles, faces…), kept as the final one; default 1 of 1. */
  readonly progress?: { readonly step: number; readonly total: number };
}

/**
 * The only code that moves an image task (any kind: preprocess, later upscale, …) between
 * states. Each move and the outbox entry of its `<kind>.<state>` webhook are one atomic step in
 * Redis (image-task-store.ts), so a crash cannot separate them. Metrics are recorded after the
 * step when `metrics` is given (workers); `atelier_postprocess_seconds{kind}` times a success.
 */
export class ImageTaskLifecycle {
  constructor(
    private readonly store: ImageTaskTransitions,
    private readonly metrics?: FarmMetrics,
  ) {}

  async start(task: ImageTaskRef, workerId: string, attempt: number, now: Date): Promise<ImageTaskMove> {
    const result = await this.store.markStarted(task, workerId, attempt, now);
    faultPoint(`after-transition:${imageTaskEvent(task.kind, 'started')}`);
    return result;
  }

  async succeed(task: ImageTaskRef, outcome: ImageTaskOutcome, now: Date): Promise<ImageTaskMove> {
    const result = await this.store.markSucceeded(task, outcome, now);
    faultPoint(`after-transition:${imageTaskEvent(task.kind, 'succeeded')}`);
    if (result.applied && this.metrics) {
      this.metrics.postprocess.observe({ kind: task.kind }, outcome.timings.run_ms / 1000);
      this.metrics.jobsCompleted.inc({ job_type: task.kind, outcome: 'succeeded' });
    }
    return result;
  }

  async fail(task: ImageTaskRef, error: { code: string; message: string }, now: Date): Promise<ImageTaskMove> {
    const result = await this.store.markFailed(task, error, now);
    faultPoint(`after-transition:${imageTaskEvent(task.kind, 'failed')}`);
    if (result.applied) this.metrics?.jobsCompleted.inc({ job_type: task.kind, outcome: 'failed' });
    return result;
  }

  /** `from`: the API cancels only queued tasks itself; a worker cancels queued or running ones. */
  async cancel(task: ImageTaskRef, from: readonly ImageTaskStatus[], now: Date): Promise<ImageTaskMove> {
    const result = await this.store.markCanceled(task, from, now);
    faultPoint(`after-transition:${imageTaskEvent(task.kind, 'canceled')}`);
    if (result.applied) this.metrics?.jobsCompleted.inc({ job_type: task.kind, outcome: 'canceled' });
    return result;
  }

  /** A failed attempt: counted by its code, then `final` → failed (with its webhook), otherwise queued for BullMQ's retry. */
  async attemptFailed(task: ImageTaskRef, error: { code: string; message: string }, final: boolean, now: Date): Promise<ImageTaskMove> {
    this.metrics?.jobFailures.inc({ job_type: task.kind, code: error.code });
    if (final) return this.fail(task, error, now);
    const result = await this.store.markRequeued(task, error);
    this.metrics?.jobsCompleted.inc({ job_type: task.kind, outcome: 'retried' });
    return result;
  }

  /** A shutting-down worker hands the running task back: queued again, no attempt spent. */
  async handBack(task: ImageTaskRef): Promise<ImageTaskMove> {
    const result = await this.store.markRequeued(task, { code: 'worker_shutdown', message: 'worker shut down; task handed back' });
    this.metrics?.jobsCompleted.inc({ job_type: task.kind, outcome: 'requeued' });
    return result;
  }

  /** BullMQ gave up on a task whose workers kept dying (it stalled too often) without running a handler. */
  async lost(id: string, now: Date): Promise<ImageTaskMove | undefined> {
    const record = await this.store.get(id);
    if (!record) return undefined;
    return this.fail({ id: record.id, kind: record.kind, tenant: record.tenant }, { code: 'worker_lost', message: "the task's workers stopped responding too many times" }, now);
  }
}
