import { Queue, type DefaultJobOptions } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { QueueName } from '#libs/contracts/src/index.js';

const KEEP_FINISHED = { age: 24 * 3600, count: 10_000 } as const;

export function generationJobDefaults(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: KEEP_FINISHED,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export function webhookJobDefaults(attempts: number): DefaultJobOptions {
  return {
    attempts,
    // Standard Webhooks retry ladder is driven by our own backoff strategy (see webhook worker).
    backoff: { type: 'webhook' },
    removeOnComplete: KEEP_FINISHED,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

export const DEFAULT_WORKER_CLASS = 'default';

/**
 * Jobs are routed by capability class: workers of one class serve the same models on the same
 * kind of hardware and consume one queue. The default class keeps the plain queue name.
 */
export function generationQueueName(workerClass: string): string {
  return workerClass === DEFAULT_WORKER_CLASS ? QueueName.Generation : `${QueueName.Generation}-${workerClass}`;
}

export function createGenerationQueue(connection: RedisClient, prefix: string, attempts: number, workerClass = DEFAULT_WORKER_CLASS): Queue {
  return new Queue(generationQueueName(workerClass), { connection, prefix, defaultJobOptions: generationJobDefaults(attempts) });
}

export function createWebhookQueue(connection: RedisClient, prefix: string, attempts: number): Queue {
  return new Queue(QueueName.Webhook, { connection, prefix, defaultJobOptions: webhookJobDefaults(attempts) });
}
