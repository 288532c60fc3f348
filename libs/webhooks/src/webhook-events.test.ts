import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildWebhookEnvelope,
  isWebhookEventType,
  WEBHOOK_EVENT_TYPES,
  WebhookEventType,
  webhookEventTypeSchema,
} from './webhook-events.js';

describe('WebhookEventType', () => {
  it('lists the public event names and cannot be changed at runtime', () => {
    assert.deepEqual([...WEBHOOK_EVENT_TYPES].sort(), [
      'batch.completed',
      'generation.canceled',
      'generation.failed',
      'generation.started',
      'generation.succeeded',
    ]);
    assert.ok(Object.isFrozen(WebhookEventType));
    assert.ok(Object.isFrozen(WEBHOOK_EVENT_TYPES));
    assert.throws(() => {
      (WebhookEventType as Record<string, string>).GenerationStarted = 'renamed';
    }, TypeError);
  });

  it('recognises and validates event names', () => {
    assert.equal(isWebhookEventType('generation.succeeded'), true);
    assert.equal(isWebhookEventType('training.started'), false);
    assert.deepEqual(webhookEventTypeSchema.array().parse(['batch.completed']), ['batch.completed']);
    assert.equal(webhookEventTypeSchema.safeParse('generation.exploded').success, false);
  });
});

describe('buildWebhookEnvelope', () => {
  it('has the Standard Webhooks payload shape { type, timestamp, data }', () => {
    const data = { id: 'gen_1', images: ['generations/gen_1/0.png'] };
    const envelope = buildWebhookEnvelope(WebhookEventType.GenerationSucceeded, data, new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)));
    assert.deepEqual(envelope, { type: 'generation.succeeded', timestamp: '2026-01-02T03:04:05.006Z', data });
    assert.deepEqual(JSON.parse(JSON.stringify(envelope)), envelope);
  });

  it('refuses an invalid date rather than sending a bogus timestamp', () => {
    assert.throws(() => buildWebhookEnvelope(WebhookEventType.BatchCompleted, {}, new Date(Number.NaN)), RangeError);
  });
});
