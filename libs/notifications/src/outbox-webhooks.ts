import { createHash } from 'node:crypto';
import {
  GENERATION_EVENTS,
  JobName,
  TRAINING_EVENTS,
  WebhookEvent,
  imageTaskEvents,
  type AnyWebhookEvent,
  type WebhookJob,
  type WebhookTarget,
} from '@atelier/contracts';
import { batchFromFields, toBatchView, toGenerationView, toImageTaskView, toTrainingView, type BatchStore, type GenerationStore, type ImageTaskStore, type TrainingStore } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { OutboxEntry } from './outbox-entry.js';

export interface WebhookJobToAdd {
  readonly name: string;
  readonly data: WebhookJob;
  readonly opts: { readonly jobId: string };
}

function wants(target: WebhookTarget | undefined, event: AnyWebhookEvent, defaults: readonly AnyWebhookEvent[]): target is WebhookTarget {
  return target !== undefined && (target.events ?? defaults).includes(event);
}

/**
 * The webhook message id of one event for one target: derived, not random, so draining the same
 * outbox entry twice (a crash between enqueue and acknowledge, two API replicas) yields the same
 * BullMQ job id, and BullMQ keeps a single job.
 */
export function messageIdFor(eventId: string, role: 'subject' | 'batch'): string {
  return `msg_${createHash('sha256').update(`${eventId}\n${role}`).digest('hex').slice(0, 32)}`;
}

/**
 * Turns outbox entries into webhook delivery jobs. The body describes the moment of the event
 * (the entry's snapshot and time); output URLs are presigned now, when the body is frozen.
 */
export class OutboxWebhooks {
  constructor(
    private readonly generations: GenerationStore,
    private readonly batches: BatchStore,
    private readonly trainings: TrainingStore,
    private readonly storage: ObjectStorage,
    private readonly presignSeconds: number,
    private readonly imageTasks: ImageTaskStore,
  ) {}

  async jobsFor(entry: OutboxEntry): Promise<WebhookJobToAdd[]> {
    if (entry.kind === 'generation') {
      const record = await this.generations.fromSnapshot(entry.snapshot);
      if (!record) return [];
      const batch = record.batch_id ? await this.batches.get(record.batch_id) : undefined;
      const targets: Array<[WebhookTarget, 'subject' | 'batch']> = [];
      if (wants(record.request.webhook, entry.event, GENERATION_EVENTS)) targets.push([record.request.webhook, 'subject']);
      if (wants(batch?.webhook, entry.event, [WebhookEvent.BatchCompleted])) targets.push([batch.webhook, 'batch']);
      if (targets.length === 0) return [];
      const data = await toGenerationView(record, this.storage, this.presignSeconds);
      return this.jobs(entry, targets, data, record.tenant);
    }
    if (entry.kind === 'batch') {
      const batch = batchFromFields(entry.snapshot);
      if (!batch || !wants(batch.webhook, entry.event, [WebhookEvent.BatchCompleted])) return [];
      return this.jobs(entry, [[batch.webhook, 'subject']], toBatchView(batch), batch.tenant);
    }
    if (entry.kind === 'image_task') {
      const task = await this.imageTasks.fromSnapshot(entry.snapshot);
      // A task's webhook gets its own kind's four events by default (`preprocess.*`, `upscale.*`, …).
      if (!task || !wants(task.request.webhook, entry.event, imageTaskEvents(task.kind))) return [];
      const data = await toImageTaskView(task, this.storage, this.presignSeconds);
      return this.jobs(entry, [[task.request.webhook, 'subject']], data, task.tenant);
    }
    const training = await this.trainings.fromSnapshot(entry.snapshot);
    if (!training || !wants(training.request.webhook, entry.event, TRAINING_EVENTS)) return [];
    const data = await toTrainingView(training, this.storage, this.presignSeconds);
    return this.jobs(entry, [[training.request.webhook, 'subject']], data, training.tenant);
  }

  private jobs(entry: OutboxEntry, targets: ReadonlyArray<readonly [WebhookTarget, 'subject' | 'batch']>, data: unknown, tenant: string): WebhookJobToAdd[] {
    const body = JSON.stringify({ type: entry.event, timestamp: entry.at, data });
    return targets.map(([target, role]) => {
      const messageId = messageIdFor(entry.id, role);
      const payload: WebhookJob = { v: 1, messageId, event: entry.event, url: target.url, body, subject: { kind: entry.kind, id: entry.subject }, tenant };
      return { name: JobName.DeliverWebhook, data: payload, opts: { jobId: messageId } };
    });
  }
}
