import { z } from 'zod';

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

export const webhookEventSchema = z.enum(Object.values(WebhookEvent) as [WebhookEvent, ...WebhookEvent[]]);

export const webhookTargetSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    events: z.array(webhookEventSchema).min(1).optional(),
  })
  .strict();
export type WebhookTarget = z.infer<typeof webhookTargetSchema>;
