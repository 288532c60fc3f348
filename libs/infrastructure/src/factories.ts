import { VERSION, type AppConfig, type Environment } from '@atelier/config';
import { JobRuntime, queueDefinitions } from '@atelier/jobs';
import { GenerationLifecycle, ImageTaskLifecycle, TrainingLifecycle } from '@atelier/lifecycle';
import { createFarmMetrics, type FarmMetrics } from '@atelier/metrics';
import { RedisKeys, bullmqPrefix, createRedisConnection, type RedisClient } from '@atelier/queue';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import { AdapterRegistry, OnnxModelRegistry } from '@atelier/registry';
import { createStorage } from '@atelier/storage';
import type { ObjectStorage } from '@atelier/storage';
import { TenantLimitsStore } from '@atelier/tenancy';

/**
 * The farm's infrastructure, made the same way in every process: the API's InfrastructureModule
 * wraps each of these in a provider, the worker's composition root calls them directly.
 */
export function createKeys(config: AppConfig): RedisKeys {
  return new RedisKeys(bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode));
}

/** Every BullMQ queue, worker and queue events of the process (see libs/jobs). */
export function createJobRuntime(config: AppConfig, queueConnection: RedisClient, onWorkerError?: (queue: string, error: Error) => void): JobRuntime {
  return new JobRuntime({
    definitions: queueDefinitions(config.env),
    prefix: bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode),
    queueConnection,
    blockingConnection: () => createRedisConnection(config.redis),
    onWorkerError,
  });
}

export function createObjectStorage(config: AppConfig): ObjectStorage {
  return createStorage(config.storage);
}

export function createAdapterRegistry(storage: ObjectStorage): AdapterRegistry {
  return new AdapterRegistry(storage);
}

/** ControlNets, preprocessors, upscalers, face and segmentation models kept in the registry. */
export function createOnnxModelRegistry(storage: ObjectStorage): OnnxModelRegistry {
  return new OnnxModelRegistry(storage);
}

export function createMetrics(role: 'api' | 'worker'): FarmMetrics {
  return createFarmMetrics(role, VERSION);
}

export function createTenantLimits(redis: RedisClient, keys: RedisKeys, env: Environment): TenantLimitsStore {
  return new TenantLimitsStore(redis, keys.prefix, {
    requests_per_minute: env.RATE_LIMIT_PER_MINUTE,
    max_running_jobs: env.MAX_RUNNING_JOBS_PER_TENANT,
    max_queued_jobs: env.MAX_QUEUED_JOBS_PER_TENANT,
    max_batch_size: env.MAX_BATCH_SIZE,
  });
}

export interface Records {
  readonly generations: GenerationStore;
  readonly batches: BatchStore;
  readonly trainings: TrainingStore;
  readonly imageTasks: ImageTaskStore;
}

export function createRecords(redis: RedisClient, keys: RedisKeys): Records {
  return { generations: new GenerationStore(redis, keys), batches: new BatchStore(redis, keys), trainings: new TrainingStore(redis, keys), imageTasks: new ImageTaskStore(redis, keys) };
}

export interface Lifecycles {
  readonly generations: GenerationLifecycle;
  readonly trainings: TrainingLifecycle;
  readonly imageTasks: ImageTaskLifecycle;
}

/**
 * The only code that moves jobs between states. `metrics` counts jobs that left a worker: the
 * worker passes its metrics, the API none (its counters would double-count).
 */
export function createLifecycles(records: Pick<Records, 'generations' | 'trainings' | 'imageTasks'>, metrics?: FarmMetrics): Lifecycles {
  return {
    generations: new GenerationLifecycle(records.generations, metrics),
    trainings: new TrainingLifecycle(records.trainings),
    imageTasks: new ImageTaskLifecycle(records.imageTasks, metrics),
  };
}
