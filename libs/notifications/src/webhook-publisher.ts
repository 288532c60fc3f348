import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import {
  GENERATION_EVENTS,
  JobName,
  TRAINING_EVENTS,
  type TrainingRecord,
  WebhookEvent,
  type GenerationRecord,
  type WebhookJob,
  type WebhookTarget,
} from '#libs/contracts/src/index.js';
import { BatchStore, toBatchView, toGenerationView, type GenerationStore } from '#libs/records/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';

function wants(target: WebhookTarget | undefined, event: WebhookEvent, defaults: readonly WebhookEvent[]): target is WebhookTarget {
  return target !== undefined && (target.events ?? defaults).includes(event);
}

/**
 * Turns lifecycle events into webhook jobs. The body is frozen now (it describes the moment of
 * the event); delivery, signing and retries happen on the webhook queue, away from GPUs.
 */
export class WebhookPublisher {
  constructor(
    private readonly queue: Queue,
    private readonly generations: GenerationStore,
    private readonly batches: BatchStore,
    private readonly storage: ObjectStorage,
    private readonly presignSeconds: number,
  ) {}

  async generationEvent(event: WebhookEvent, generationId: string): Promise<void> {
    const record = await this.generations.get(generationId);
    if (!record) return;
    const batch = record.batch_id ? await this.batches.get(record.batch_id) : undefined;
    const targets = [
      wants(record.request.webhook, event, GENERATION_EVENTS) ? record.request.webhook : undefined,
      wants(batch?.webhook, event, [WebhookEvent.BatchCompleted]) ? batch?.webhook : undefined,
    ].filter((target): target is WebhookTarget => target !== undefined);
    if (targets.length === 0) return;
    const data = await toGenerationView(record, this.storage, this.presignSeconds);
    await this.enqueue(event, targets, data, { kind: 'generation', id: record.id }, record.tenant);
  }

  async batchCompleted(batchId: string): Promise<void> {
    const batch = await this.batches.get(batchId);
    if (!batch || !wants(batch.webhook, WebhookEvent.BatchCompleted, [WebhookEvent.BatchCompleted])) return;
    await this.enqueue(WebhookEvent.BatchCompleted, [batch.webhook], toBatchView(batch), { kind: 'batch', id: batch.id }, batch.tenant);
  }

  async trainingEvent(event: WebhookEvent, training: TrainingRecord, view: unknown): Promise<void> {
    if (!wants(training.request.webhook, event, TRAINING_EVENTS)) return;
    await this.enqueue(event, [training.request.webhook], view, { kind: 'training', id: training.id }, training.tenant);
  }

  /** Convenience for callers that just advanced a record. */
  async afterTransition(event: WebhookEvent, record: Pick<GenerationRecord, 'id' | 'batch_id'>, batchCompleted: boolean): Promise<void> {
    await this.generationEvent(event, record.id);
    if (batchCompleted && record.batch_id) await this.batchCompleted(record.batch_id);
  }

  private async enqueue(event: WebhookEvent, targets: readonly WebhookTarget[], data: unknown, subject: WebhookJob['subject'], tenant: string): Promise<void> {
    const timestamp = new Date().toISOString();
    const body = JSON.stringify({ type: event, timestamp, data });
    await this.queue.addBulk(
      targets.map((target) => {
        const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
        const payload: WebhookJob = { v: 1, messageId, event, url: target.url, body, subject, tenant };
        return { name: JobName.DeliverWebhook, data: payload, opts: { jobId: messageId } };
      }),
    );
  }
}
