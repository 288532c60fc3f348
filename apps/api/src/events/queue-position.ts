import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from '#libs/queue/src/index.js';
import { REDIS } from '../infrastructure/tokens.js';
import { QueueRouter } from '../routing/queue-router.js';

/**
 * How many jobs a worker takes before this one, read from BullMQ's own structures. Workers pop
 * the `wait` list from its right end before touching the `prioritized` sorted set, whose score is
 * priority × 2³² + insertion counter: so a waiting job has the jobs to its right ahead of it, and
 * a prioritized job has all waiting jobs plus its rank in the set. Running and delayed jobs are
 * not "in the queue" (null).
 */
@Injectable()
export class QueuePositions {
  constructor(
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async of(queueName: string, jobId: string): Promise<number | null> {
    const queue = this.router.queue(queueName);
    const waitKey = queue.toKey('wait');
    const replies = await this.redis.multi().llen(waitKey).zrank(queue.toKey('prioritized'), jobId).lpos(waitKey, jobId).exec();
    const [waiting, rank, index] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as number | null;
    });
    if (rank !== null && rank !== undefined) return (waiting ?? 0) + rank;
    if (index !== null && index !== undefined) return (waiting ?? 0) - 1 - index;
    return null;
  }
}
