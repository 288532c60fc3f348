import { z } from 'zod';

/** Longest overlap a rotation may ask for; matches the bound on WEBHOOK_SECRET_ROTATION_OVERLAP_SECONDS. */
export const MAX_ROTATION_OVERLAP_SECONDS = 7 * 24 * 3600;

export const rotateSecretSchema = z
  .object({
    /** How long the old secret keeps signing beside the new one; 0 revokes it at once. */
    overlap_seconds: z.number().int().min(0).max(MAX_ROTATION_OVERLAP_SECONDS).optional(),
  })
  .strict();

export interface WebhookSecretView {
  readonly secret: string;
  readonly scheme: 'standard-webhooks';
  /** While a rotation's overlap lasts, deliveries also carry the previous secret's signature until then. */
  readonly previous_secret_expires_at: string | null;
}

export interface RotatedSecretView extends WebhookSecretView {
  readonly overlap_seconds: number;
}
