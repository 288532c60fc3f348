import { Inject, Injectable } from '@nestjs/common';
import { QueueKeys } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { RedisClient } from '@atelier/queue';
import { bullmqPrefix } from '@atelier/queue';
import { REDIS } from '../infrastructure/tokens.js';

/**
 * How many jobs a worker takes before this one, read from BullMQ's own structures. Workers pop
 * the `wait` list from its right end before touching the `prioritized` sorted set, whose score is
 * priority × 2³² + insertion counter: so a waiting job has the jobs to its right ahead of it, and
 * a prioritized job has all waiting jobs plus its rank in the set. Running and delayed jobs are
 * not "in the queue" (null). Keys come from BullMQ's QueueKeys rather than a Queue instance, so
 * reading a position never registers a queue anywhere (the router's queues feed the watchdog).
 */
@Injectable()
export class QueuePositions {
  private readonly keys: QueueKeys;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    this.keys = new QueueKeys(bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode));
  }

  async of(queueName: string, jobId: string): Promise<number | null> {
    const waitKey = this.keys.toKey(queueName, 'wait');
    const replies = await this.redis.multi().llen(waitKey).zrank(this.keys.toKey(queueName, 'prioritized'), jobId).lpos(waitKey, jobId).exec();
    const [waiting, rank, index] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as number | null;
    });
    if (rank !== null && rank !== undefined) return (waiting ?? 0) + rank;
    if (index !== null && index !== undefined) return (waiting ?? 0) - 1 - index;
    return null;
  }
}
