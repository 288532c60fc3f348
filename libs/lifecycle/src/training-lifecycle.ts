import { WebhookEvent } from '@atelier/contracts';
import type { TrainingStore } from '@atelier/records';
import { faultPoint } from './fault-point.js';

/** The store's atomic transitions, all the owner needs (an in-memory fake in unit tests). */
export type TrainingTransitions = Pick<TrainingStore, 'markRunning' | 'markSucceeded' | 'markFailed' | 'markCanceled' | 'appendProgressEvent'>;

/**
 * The only code that moves a training between states: each move and the outbox entry of its
 * webhook are one atomic step in Redis (see training-store.ts), so a crash cannot separate them.
 */
export class TrainingLifecycle {
  constructor(private readonly trainings: TrainingTransitions) {}

  /** Running; `training.started` is recorded only on the first attempt. */
  async start(id: string, workerId: string, attempt: number): Promise<boolean> {
    const applied = await this.trainings.markRunning(id, workerId, attempt);
    faultPoint(`after-transition:${WebhookEvent.TrainingStarted}`);
    return applied;
  }

  async succeed(id: string, artifact: { key: string; sha256: string; size: number }, modelId: string): Promise<boolean> {
    const applied = await this.trainings.markSucceeded(id, artifact, modelId);
    faultPoint(`after-transition:${WebhookEvent.TrainingSucceeded}`);
    return applied;
  }

  async fail(id: string, error: { code: string; message: string }): Promise<boolean> {
    const applied = await this.trainings.markFailed(id, error);
    faultPoint(`after-transition:${WebhookEvent.TrainingFailed}`);
    return applied;
  }

  /** BullMQ gave up on a training whose workers kept dying (it stalled too often); no handler ran. */
  async lost(id: string): Promise<boolean> {
    return this.fail(id, { code: 'worker_lost', message: "the training's workers stopped responding too many times" });
  }

  async cancel(id: string): Promise<boolean> {
    const applied = await this.trainings.markCanceled(id);
    faultPoint(`after-transition:${WebhookEvent.TrainingCanceled}`);
    return applied;
  }

  /** A `training.progress` webhook with the training's state now (no status change). */
  async progress(id: string): Promise<boolean> {
    return this.trainings.appendProgressEvent(id);
  }
}
