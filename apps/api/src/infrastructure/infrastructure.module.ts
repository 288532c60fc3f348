import { Global, Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { QueueName } from '@atelier/contracts';
import {
  createAdapterRegistry,
  createOnnxModelRegistry,
  createJobRuntime,
  createKeys,
  createLifecycles,
  createMetrics,
  createObjectStorage,
  createRecords,
  createTenantLimits,
} from '@atelier/infrastructure';
import { JobRuntime } from '@atelier/jobs';
import { GenerationLifecycle, ImageTaskLifecycle, TrainingLifecycle } from '@atelier/lifecycle';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { FARM_METRICS } from '@atelier/metrics';
import { WebhookLedger } from '@atelier/notifications';
import { CancelChannel, RedisKeys, WorkerRegistry, createRedisConnection, type RedisClient } from '@atelier/queue';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import { AdapterRegistry, OnnxModelRegistry } from '@atelier/registry';
import { ApiKeyStore, KeyAdmission, TenantLimitsStore } from '@atelier/tenancy';
import type { ObjectStorage } from '@atelier/storage';
import { OBJECT_STORAGE, QUEUE_REDIS, REDIS, REDIS_STATE, WEBHOOK_QUEUE } from './tokens.js';

/** External systems behind small injectable adapters, created once per process. */
@Global()
@Module({
  providers: [
    // Requests must fail fast (503) while Redis is down rather than hang in the offline queue.
    { provide: REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisConnection(config.redis, { maxRetriesPerRequest: 1, enableAutoPipelining: true }) },
    { provide: QUEUE_REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisConnection(config.redis, { maxRetriesPerRequest: 1 }) },
    {
      provide: REDIS_STATE,
      inject: [REDIS, QUEUE_REDIS],
      useFactory: (redis: RedisClient, queueRedis: RedisClient): { readonly status: string } => ({
        get status() {
          return [redis, queueRedis].every((connection) => connection.status === 'ready') ? 'ready' : 'reconnecting';
        },
      }),
    },
    { provide: RedisKeys, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createKeys(config) },
    // Every queue and worker of the API (the webhook dispatcher's included) comes from here.
    {
      provide: JobRuntime,
      inject: [APP_CONFIG, QUEUE_REDIS],
      useFactory: (config: AppConfig, redis: RedisClient) => {
        const logger = new Logger('JobRuntime');
        return createJobRuntime(config, redis, (queue, error) => logger.warn(`${queue} worker: ${error.message}`));
      },
    },
    { provide: WEBHOOK_QUEUE, inject: [JobRuntime], useFactory: (jobs: JobRuntime) => jobs.queue(QueueName.Webhook) },
    { provide: GenerationStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => createRecords(redis, keys).generations },
    { provide: BatchStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => createRecords(redis, keys).batches },
    { provide: CancelChannel, inject: [RedisKeys, REDIS], useFactory: (keys: RedisKeys, redis: RedisClient) => new CancelChannel(keys, redis) },
    { provide: WorkerRegistry, inject: [RedisKeys, REDIS], useFactory: (keys: RedisKeys, redis: RedisClient) => new WorkerRegistry(keys, redis) },
    { provide: OBJECT_STORAGE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createObjectStorage(config) },
    { provide: FARM_METRICS, useFactory: () => createMetrics('api') },
    { provide: TrainingStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => createRecords(redis, keys).trainings },
    { provide: AdapterRegistry, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => createAdapterRegistry(storage) },
    { provide: OnnxModelRegistry, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => createOnnxModelRegistry(storage) },
    // Its own connection that waits out short Redis outages: delivery records must not be lost.
    { provide: WebhookLedger, inject: [APP_CONFIG, RedisKeys], useFactory: (config: AppConfig, keys: RedisKeys) => new WebhookLedger(createRedisConnection(config.redis), keys) },
    { provide: ApiKeyStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => new ApiKeyStore(redis, keys.prefix) },
    {
      provide: TenantLimitsStore,
      inject: [REDIS, RedisKeys, APP_CONFIG],
      useFactory: (redis: RedisClient, keys: RedisKeys, config: AppConfig) => createTenantLimits(redis, keys, config.env),
    },
    {
      provide: KeyAdmission,
      inject: [REDIS, ApiKeyStore, TenantLimitsStore],
      useFactory: (redis: RedisClient, keys: ApiKeyStore, limits: TenantLimitsStore) => new KeyAdmission(redis, keys, limits),
    },
    // Transitions and their webhooks' outbox entries, in one atomic step (drained by OutboxDrain).
    // No metrics: the API's lifecycle does not count jobs that left a worker.
    { provide: ImageTaskStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => createRecords(redis, keys).imageTasks },
    {
      provide: GenerationLifecycle,
      inject: [GenerationStore, TrainingStore, ImageTaskStore],
      useFactory: (generations: GenerationStore, trainings: TrainingStore, imageTasks: ImageTaskStore) => createLifecycles({ generations, trainings, imageTasks }).generations,
    },
    {
      provide: TrainingLifecycle,
      inject: [GenerationStore, TrainingStore, ImageTaskStore],
      useFactory: (generations: GenerationStore, trainings: TrainingStore, imageTasks: ImageTaskStore) => createLifecycles({ generations, trainings, imageTasks }).trainings,
    },
    {
      provide: ImageTaskLifecycle,
      inject: [GenerationStore, TrainingStore, ImageTaskStore],
      useFactory: (generations: GenerationStore, trainings: TrainingStore, imageTasks: ImageTaskStore) => createLifecycles({ generations, trainings, imageTasks }).imageTasks,
    },
  ],
  exports: [
    KeyAdmission,
    REDIS,
    QUEUE_REDIS,
    REDIS_STATE,
    RedisKeys,
    WEBHOOK_QUEUE,
    JobRuntime,
    GenerationStore,
    BatchStore,
    CancelChannel,
    WorkerRegistry,
    OBJECT_STORAGE,
    FARM_METRICS,
    GenerationLifecycle,
    TrainingLifecycle,
    ApiKeyStore,
    TenantLimitsStore,
    WebhookLedger,
    AdapterRegistry,
    OnnxModelRegistry,
    TrainingStore,
    ImageTaskStore,
    ImageTaskLifecycle,
  ],
})
export class InfrastructureModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(QUEUE_REDIS) private readonly queueRedis: RedisClient,
    @Inject(JobRuntime) private readonly jobs: JobRuntime,
  ) {}

  /** Consumers register their handlers in onModuleInit; every module's runs before this. */
  onApplicationBootstrap(): void {
    this.jobs.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.jobs.close().catch(() => undefined);
    this.redis.disconnect();
    this.queueRedis.disconnect();
  }
}
