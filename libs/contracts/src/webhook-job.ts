import { z } from 'zod';
import { webhookEventSchema } from './webhook-events.js';

/** Payload of JobName.DeliverWebhook: the envelope is frozen when the event happens. */
export const webhookJobSchema = z.object({
  v: z.literal(1),
  messageId: z.string().min(1),
  event: webhookEventSchema,
  url: z.url(),
  body: z.string(),
  subject: z.object({ kind: z.enum(['generation', 'batch', 'training', 'image_task']), id: z.string() }),
  /** Owner of the subject: dead letters and disabled endpoints are per tenant. */
  tenant: z.string().default('local'),
});
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/**
 * Whether a queued payload names its tenant. Payloads queued before it did parse with the default
 * above; their signer must find the owner from the subject's record instead of trusting the default.
 */
export function webhookJobNamesTenant(data: unknown): boolean {
  return typeof data === 'object' && data !== null && typeof (data as { tenant?: unknown }).tenant === 'string';
}
