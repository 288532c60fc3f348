import type { DefaultJobOptions, WorkerOptions } from 'bullmq';
import { JobName, QueueName } from '@atelier/contracts';

/** Worker options the table decides; connection, prefix and autorun are the runtime's. */
export type WorkerSettings = Pick<WorkerOptions, 'concurrency' | 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>;

/** One kind of queue: the jobs it carries, their default options and how its workers run. */
export interface QueueDefinition {
  readonly kind: QueueName;
  /** Job names carried by this queue: a process consuming it needs exactly one handler for each. */
  readonly jobs: readonly JobName[];
  readonly jobOptions: DefaultJobOptions;
  readonly worker: WorkerSettings;
  /** Its queues may be split per worker class (`<kind>-<class>`), e.g. generation. */
  readonly perWorkerClass: boolean;
  /** The strategy behind a custom `backoff.type`; supplied by the consumer that knows it (see JobRuntime.consume). */
  readonly customBackoff: boolean;
}

/** What the table reads from the environment (a subset of libs/config's Environment). */
export interface QueueEnvironment {
  readonly JOB_ATTEMPTS: number;
  readonly WORKER_CONCURRENCY: number;
  readonly WORKER_LOCK_MS: number;
  readonly WEBHOOK_MAX_ATTEMPTS: number;
  readonly WEBHOOK_CONCURRENCY: number;
}

export type QueueDefinitions = Readonly<Record<QueueName, QueueDefinition>>;

const WEEK_SECONDS = 7 * 24 * 3600;
const KEEP_FINISHED = { age: 24 * 3600, count: 10_000 } as const;

function generationJobDefaults(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: KEEP_FINISHED,
    removeOnFail: { age: WEEK_SECONDS },
  };
}

function webhookJobDefaults(attempts: number): DefaultJobOptions {
  return {
    attempts,
    // Standard Webhooks retry ladder is driven by our own backoff strategy (see webhook worker).
    backoff: { type: 'webhook' },
    removeOnComplete: KEEP_FINISHED,
    removeOnFail: { age: WEEK_SECONDS },
  };
}


/**
 * The one table of queues: every Queue, Worker and QueueEvents the farm creates takes its
 * options from here (see JobRuntime). A new job kind adds its QueueName/JobName to
 * libs/contracts and a row here.
 */
export function queueDefinitions(env: QueueEnvironment): QueueDefinitions {
  return Object.freeze({
    [QueueName.Generation]: {
      kind: QueueName.Generation,
      jobs: [JobName.GenerateImage],
      jobOptions: generationJobDefaults(env.JOB_ATTEMPTS),
      worker: {
        concurrency: env.WORKER_CONCURRENCY,
        lockDuration: env.WORKER_LOCK_MS,
        stalledInterval: env.WORKER_LOCK_MS,
        // A job whose workers keep dying is failed (worker_lost) after as many stalls as attempts.
        maxStalledCount: env.JOB_ATTEMPTS,
      },
      perWorkerClass: true,
      customBackoff: false,
    },
    [QueueName.ImageTask]: {
      kind: QueueName.ImageTask,
      jobs: [JobName.RunImageTask],
      // Same guarantees as generations: retries with backoff, a task whose workers keep dying is lost.
      jobOptions: generationJobDefaults(env.JOB_ATTEMPTS),
      worker: {
        concurrency: env.WORKER_CONCURRENCY,
        lockDuration: env.WORKER_LOCK_MS,
        stalledInterval: env.WORKER_LOCK_MS,
        maxStalledCount: env.JOB_ATTEMPTS,
      },
      // Routed by capability class like generations (`image-task`, `image-task-<class>`).
      perWorkerClass: true,
      customBackoff: false,
    },
    [QueueName.Training]: {
      kind: QueueName.Training,
      jobs: [JobName.TrainLora],
      // Attempts cover worker loss: a new attempt resumes from the last checkpoint.
      jobOptions: { attempts: 5, backoff: { type: 'fixed', delay: 1_000 }, removeOnComplete: { age: WEEK_SECONDS } },
      // A training holds the whole GPU: one at a time.
      worker: { concurrency: 1, lockDuration: env.WORKER_LOCK_MS, stalledInterval: env.WORKER_LOCK_MS },
      perWorkerClass: false,
      customBackoff: false,
    },
    [QueueName.Webhook]: {
      kind: QueueName.Webhook,
      jobs: [JobName.DeliverWebhook],
      jobOptions: webhookJobDefaults(env.WEBHOOK_MAX_ATTEMPTS),
      // Slow receivers only ever hold these delivery slots, never a GPU worker.
      worker: { concurrency: env.WEBHOOK_CONCURRENCY },
      perWorkerClass: false,
      // The Standard Webhooks ladder and Retry-After live with the dispatcher.
      customBackoff: true,
    },
  } satisfies QueueDefinitions);
}


