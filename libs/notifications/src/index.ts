export { WebhookPublisher } from './webhook-publisher.js';
