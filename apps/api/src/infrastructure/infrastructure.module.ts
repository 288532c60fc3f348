import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GenerationLifecycle, TrainingLifecycle } from '#libs/lifecycle/src/index.js';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { FARM_METRICS, createFarmMetrics } from '#libs/metrics/src/index.js';
import { WebhookLedger } from '#libs/notifications/src/index.js';
import {
  CancelChannel,
  RedisKeys,
  WorkerRegistry,
  createRedisConnection,
  createWebhookQueue,
  type RedisClient,
  bullmqPrefix } from '#libs/queue/src/index.js';
import { BatchStore, GenerationStore, TrainingStore } from '#libs/records/src/index.js';
import { AdapterRegistry } from '#libs/registry/src/index.js';
import { ApiKeyStore, KeyAdmission, TenantLimitsStore } from '#libs/tenancy/src/index.js';
import { createStorage } from '#libs/storage/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { VERSION } from '#libs/config/src/index.js';
import { OBJECT_STORAGE, QUEUE_REDIS, REDIS, WEBHOOK_QUEUE } from './tokens.js';

/** External systems behind small injectable adapters, created once per process. */
@Global()
@Module({
  providers: [
    // Requests must fail fast (503) while Redis is down rather than hang in the offline queue.
    { provide: REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisConnection(config.redis, { maxRetriesPerRequest: 1, enableAutoPipelining: true }) },
    { provide: QUEUE_REDIS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createRedisConnection(config.redis, { maxRetriesPerRequest: 1 }) },
    { provide: RedisKeys, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new RedisKeys(bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode)) },
    {
      provide: WEBHOOK_QUEUE,
      inject: [QUEUE_REDIS, APP_CONFIG],
      useFactory: (redis: RedisClient, config: AppConfig) => createWebhookQueue(redis, bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode), config.env.WEBHOOK_MAX_ATTEMPTS),
    },
    { provide: GenerationStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => new GenerationStore(redis, keys) },
    { provide: BatchStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => new BatchStore(redis, keys) },
    { provide: CancelChannel, inject: [RedisKeys, REDIS], useFactory: (keys: RedisKeys, redis: RedisClient) => new CancelChannel(keys, redis) },
    { provide: WorkerRegistry, inject: [RedisKeys, REDIS], useFactory: (keys: RedisKeys, redis: RedisClient) => new WorkerRegistry(keys, redis) },
    { provide: OBJECT_STORAGE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createStorage(config.storage) },
    { provide: FARM_METRICS, useFactory: () => createFarmMetrics('api', VERSION) },
    { provide: TrainingStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => new TrainingStore(redis, keys) },
    { provide: AdapterRegistry, inject: [OBJECT_STORAGE], useFactory: (storage: ObjectStorage) => new AdapterRegistry(storage) },
    // Its own connection that waits out short Redis outages: delivery records must not be lost.
    { provide: WebhookLedger, inject: [APP_CONFIG, RedisKeys], useFactory: (config: AppConfig, keys: RedisKeys) => new WebhookLedger(createRedisConnection(config.redis), keys) },
    { provide: ApiKeyStore, inject: [REDIS, RedisKeys], useFactory: (redis: RedisClient, keys: RedisKeys) => new ApiKeyStore(redis, keys.prefix) },
    {
      provide: TenantLimitsStore,
      inject: [REDIS, RedisKeys, APP_CONFIG],
      useFactory: (redis: RedisClient, keys: RedisKeys, config: AppConfig) =>
        new TenantLimitsStore(redis, keys.prefix, {
          requests_per_minute: config.env.RATE_LIMIT_PER_MINUTE,
          max_running_jobs: config.env.MAX_RUNNING_JOBS_PER_TENANT,
          max_queued_jobs: config.env.MAX_QUEUED_JOBS_PER_TENANT,
          max_batch_size: config.env.MAX_BATCH_SIZE,
        }),
    },
    {
      provide: KeyAdmission,
      inject: [REDIS, ApiKeyStore, TenantLimitsStore],
      useFactory: (redis: RedisClient, keys: ApiKeyStore, limits: TenantLimitsStore) => new KeyAdmission(redis, keys, limits),
    },
    // Transitions and their webhooks' outbox entries, in one atomic step (drained by OutboxDrain).
    { provide: GenerationLifecycle, inject: [GenerationStore], useFactory: (generations: GenerationStore) => new GenerationLifecycle(generations) },
    { provide: TrainingLifecycle, inject: [TrainingStore], useFactory: (trainings: TrainingStore) => new TrainingLifecycle(trainings) },
  ],
  exports: [
    KeyAdmission,
    REDIS,
    QUEUE_REDIS,
    RedisKeys,
    WEBHOOK_QUEUE,
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
    TrainingStore,
  ],
})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(QUEUE_REDIS) private readonly queueRedis: RedisClient,
    @Inject(WEBHOOK_QUEUE) private readonly webhookQueue: Queue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.webhookQueue.close().catch(() => undefined);
    this.redis.disconnect();
    this.queueRedis.disconnect();
  }
}
