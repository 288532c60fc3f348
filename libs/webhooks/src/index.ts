export { deliverWebhook, DEFAULT_MAX_RESPONSE_BODY_BYTES, type DeliveryRequest } from './deliver-webhook.js';
export type { DeliveryError, DeliveryErrorCode, DeliveryResult } from './delivery-result.js';
export { parseRetryAfter } from './retry-after.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  verifyWebhook,
  WebhookVerificationError,
  type VerifiedWebhook,
  type WebhookVerificationFailure,
  type WebhookVerificationInput,
} from './verify-webhook.js';
export {
  buildWebhookEnvelope,
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  WebhookEventType,
  webhookEventTypeSchema,
  type WebhookEnvelope,
} from './webhook-events.js';
export { decodeWebhookSecret, generateWebhookSecret, WEBHOOK_SECRET_PREFIX } from './webhook-secret.js';
export { signWebhook, webhookHeaders, type WebhookHeaders, type WebhookMultiSigningInput, type WebhookSigningInput } from './webhook-signature.js';
export { webhookPolicy } from './ssrf-guard.js';
