export { WebhookPublisher } from './webhook-publisher.js';
export { WebhookLedger, deliveryAttemptSchema, type DeliveryAttempt, type DeadLetter } from './webhook-ledger.js';
