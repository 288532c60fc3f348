import { z } from 'zod';

/**
 * Every event a subscriber can receive. Values are part of the public contract: add new ones
 * (e.g. `training.started` once training exists), never rename or remove.
 */
export const WebhookEventType = Object.freeze({
  GenerationStarted: 'generation.started',
  GenerationSucceeded: 'generation.succeeded',
  GenerationFailed: 'generation.failed',
  GenerationCanceled: 'generation.canceled',
  BatchCompleted: 'batch.completed',
} as const);

export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = Object.freeze(Object.values(WebhookEventType));

/** For validating subscriptions (`{ events: [...] }`) at the API boundary. */
export const webhookEventTypeSchema = z.enum(WebhookEventType);

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The payload shape Standard Webhooks recommends: what happened, when, and its data. */
export interface WebhookEnvelope<TType extends WebhookEventType = WebhookEventType, TData = unknown> {
  readonly type: TType;
  /** ISO 8601 time the event occurred (not when it was sent: retries keep it). */
  readonly timestamp: string;
  readonly data: TData;
}

export function buildWebhookEnvelope<TType extends WebhookEventType, TData>(
  type: TType,
  data: TData,
  occurredAt: Date,
): WebhookEnvelope<TType, TData> {
  return { type, timestamp: occurredAt.toISOString(), data };
}
