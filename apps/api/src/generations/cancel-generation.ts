import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { GenerationStatus, type GenerationRecord } from '@atelier/contracts';
import { GenerationLifecycle } from '@atelier/lifecycle';
import { CancelChannel } from '@atelier/queue';
import { GenerationStore, refOf } from '@atelier/records';
import { ApiError } from '../common/api-error.js';
import { QueueRouter } from '../routing/queue-router.js';

/** `canceled`: the generation is canceled now; `requested`: its worker was asked to stop it. */
export type CancelOutcome = 'canceled' | 'requested';

/**
 * Cancel of a generation the caller owns. A queued one is canceled by its lifecycle owner (the
 * status and its generation.canceled / batch.completed webhooks in one atomic step) and its job
 * removed; a running one is flagged and its worker told, and the worker's own lifecycle call
 * records the cancel. Nothing here writes a status itself.
 */
@Injectable()
export class CancelGeneration {
  constructor(
    @Inject(GenerationLifecycle) private readonly lifecycle: GenerationLifecycle,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(CancelChannel) private readonly cancelChannel: CancelChannel,
  ) {}

  async cancel(record: GenerationRecord): Promise<CancelOutcome> {
    if (record.status === GenerationStatus.Succeeded || record.status === GenerationStatus.Failed) {
      throw new ApiError(HttpStatus.CONFLICT, 'already_finished', `generation ${record.id} already ${record.status}`);
    }
    if (record.status === GenerationStatus.Canceled) return 'canceled';
    if (record.status === GenerationStatus.Queued) {
      const result = await this.lifecycle.cancel(refOf(record), [GenerationStatus.Queued], new Date());
      if (result.applied) {
        // A job that a worker locked meanwhile cannot be removed; that worker sees the status and skips it.
        await this.router
          .queue(record.queue)
          .remove(record.id)
          .catch(() => 0);
        return 'canceled';
      }
    }
    await this.generations.requestCancel(record.id);
    await this.cancelChannel.requestCancel(record.id);
    return 'requested';
  }
}
