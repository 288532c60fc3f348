import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { OutboxDrainer, OutboxWebhooks } from '@atelier/notifications';
import { RedisKeys, createRedisConnection } from '@atelier/queue';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import { OBJECT_STORAGE, WEBHOOK_QUEUE } from '../infrastructure/tokens.js';

/**
 * Every API process drains the transition outbox into the webhook queue (idempotently, so
 * replicas may drain side by side), whether or not it also delivers (WEBHOOK_DISPATCHER).
 */
@Injectable()
export class OutboxDrain implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxDrain');
  private drainer: OutboxDrainer | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RedisKeys) private readonly keys: RedisKeys,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(TrainingStore) private readonly trainings: TrainingStore,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(ImageTaskStore) private readonly imageTasks: ImageTaskStore,
  ) {}

  onApplicationBootstrap(): void {
    const webhooks = new OutboxWebhooks(this.generations, this.batches, this.trainings, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS, this.imageTasks);
    this.drainer = new OutboxDrainer(createRedisConnection(this.config.redis), this.keys, this.queue, webhooks, (error) => this.logger.warn(`outbox: ${error.message}`));
    this.drainer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drainer?.stop();
  }
}
