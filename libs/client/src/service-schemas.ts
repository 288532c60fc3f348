import { z } from 'zod';

/** GET /healthz: the process answers. */
export const healthSchema = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof healthSchema>;

const checkSchema = z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), error: z.string() })]);

/** GET /readyz: 200 or 503, the same body either way. */
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), checkSchema),
});
export type Readiness = z.infer<typeof readinessSchema>;

/** GET /v1/webhooks/secret: the Standard Webhooks signing secret. */
export const webhookSecretSchema = z.object({ secret: z.string().startsWith('whsec_'), scheme: z.literal('standard-webhooks') });
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;
