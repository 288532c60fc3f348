export { WebhookLedger, deliveryAttemptSchema, type DeliveryAttempt, type DeadLetter } from './webhook-ledger.js';
export { outboxEntrySchema, parseOutboxEntry, type OutboxEntry } from './outbox-entry.js';
export { OutboxWebhooks, messageIdFor, type WebhookJobToAdd } from './outbox-webhooks.js';
export { OutboxDrainer } from './outbox-drainer.js';
