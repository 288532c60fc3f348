import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { webhookJobNamesTenant, type WebhookJob } from '@atelier/contracts';
import { BatchStore, GenerationStore, ImageTaskStore, TrainingStore } from '@atelier/records';
import { ownerTenant } from './webhook-secret-store.provider.js';

/**
 * Whose secret signs a queued delivery. Current payloads name the tenant; payloads queued before
 * they did take it from the subject's record, and when that is gone, the farm's own tenant
 * (whose initial secret is the single secret such deliveries were signed with before).
 */
@Injectable()
export class WebhookJobTenant {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(TrainingStore) private readonly trainings: TrainingStore,
    @Inject(ImageTaskStore) private readonly imageTasks: ImageTaskStore,
  ) {}

  async resolve(message: WebhookJob, raw: unknown): Promise<WebhookJob> {
    if (webhookJobNamesTenant(raw)) return message;
    return { ...message, tenant: (await this.subjectTenant(message.subject)) ?? ownerTenant(this.config) };
  }

  private async subjectTenant(subject: WebhookJob['subject']): Promise<string | undefined> {
    switch (subject.kind) {
      case 'generation':
        return (await this.generations.get(subject.id))?.tenant;
      case 'batch':
        return (await this.batches.get(subject.id))?.tenant;
      case 'training':
        return (await this.trainings.get(subject.id))?.tenant;
      case 'image_task':
        return (await this.imageTasks.get(subject.id))?.tenant;
    }
  }
}
