import { z } from 'zod';
import { IMAGE_TASK_KINDS, imageTaskEvents, type ImageTaskEvent } from './image-task-kinds.js';

export const WebhookEvent = Object.freeze({
  GenerationStarted: 'generation.started',
  GenerationSucceeded: 'generation.succeeded',
  GenerationFailed: 'generation.failed',
  GenerationCanceled: 'generation.canceled',
  BatchCompleted: 'batch.completed',
  TrainingStarted: 'training.started',
  TrainingProgress: 'training.progress',
  TrainingSucceeded: 'training.succeeded',
  TrainingFailed: 'training.failed',
  TrainingCanceled: 'training.canceled',
} as const);
export type WebhookEvent = (typeof WebhookEvent)[keyof typeof WebhookEvent];

export const GENERATION_EVENTS: readonly WebhookEvent[] = [
  WebhookEvent.GenerationStarted,
  WebhookEvent.GenerationSucceeded,
  WebhookEvent.GenerationFailed,
  WebhookEvent.GenerationCanceled,
];

export const TRAINING_EVENTS: readonly WebhookEvent[] = [
  WebhookEvent.TrainingStarted,
  WebhookEvent.TrainingProgress,
  WebhookEvent.TrainingSucceeded,
  WebhookEvent.TrainingFailed,
  WebhookEvent.TrainingCanceled,
];

/** Every event a webhook can carry: the fixed ones above and each image task kind's four. */
export type AnyWebhookEvent = WebhookEvent | ImageTaskEvent;
export const ALL_WEBHOOK_EVENTS: readonly AnyWebhookEvent[] = [...Object.values(WebhookEvent), ...IMAGE_TASK_KINDS.flatMap(imageTaskEvents)];

export const webhookEventSchema = z.enum(ALL_WEBHOOK_EVENTS as [AnyWebhookEvent, ...AnyWebhookEvent[]]);

export const webhookTargetSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    events: z.array(webhookEventSchema).min(1).optional(),
  })
  .strict();
export type WebhookTarget = z.infer<typeof webhookTargetSchema>;
