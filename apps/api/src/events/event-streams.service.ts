import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { requireAccess } from '../common/require-access.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { BatchSource } from './batch-source.js';
import { GenerationSource } from './generation-source.js';
import { QueuePositions } from './queue-position.js';
import { streamRecord } from './record-stream.js';
import { TrainingSource } from './training-source.js';
import { ImageTaskSource } from './image-task-source.js';

/** Live progress of the caller's own generations, batches and trainings as Server-Sent Events. */
@Injectable()
export class EventStreams {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(TrainingStore) private readonly trainings: TrainingStore,
    @Inject(QueuePositions) private readonly positions: QueuePositions,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(ImageTaskStore) private readonly imageTasks: ImageTaskStore,
  ) {}

  async generation(principal: Principal, id: string, response: Response): Promise<void> {
    requireAccess(principal, await this.generations.get(id), 'generation', id);
    await streamRecord(response, new GenerationSource(id, this.generations, this.positions, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS));
  }

  async batch(principal: Principal, id: string, response: Response): Promise<void> {
    requireAccess(principal, await this.batches.get(id), 'batch', id);
    await streamRecord(response, new BatchSource(id, this.batches));
  }

  async training(principal: Principal, id: string, response: Response): Promise<void> {
    requireAccess(principal, await this.trainings.get(id), 'training', id);
    await streamRecord(response, new TrainingSource(id, this.trainings, this.positions, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS));
  }

  /** `kind` for the per-kind aliases: another kind's task answers like a missing one. */
  async imageTask(principal: Principal, id: string, kind: string | undefined, response: Response): Promise<void> {
    const record = await this.imageTasks.get(id);
    requireAccess(principal, record && (kind === undefined || record.kind === kind) ? record : undefined, 'task', id);
    await streamRecord(response, new ImageTaskSource(id, this.imageTasks, this.positions, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS));
  }
}
