// @atelier/webhooks/testing: test helpers for other packages' tests. Production code never imports this entry.
export { startWebhookReceiver } from './webhook-receiver.js';
export type { RunningWebhookReceiver } from './webhook-receiver.js';
export * from './http-test-server.js';
