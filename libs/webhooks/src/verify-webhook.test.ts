import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError, type WebhookVerificationFailure } from './verify-webhook.js';
import { generateWebhookSecret } from './webhook-secret.js';
import { webhookHeaders } from './webhook-signature.js';

const SECRET = generateWebhookSecret();
const BODY = '{"type":"generation.started","timestamp":"2026-01-01T00:00:00.000Z","data":{"id":"g_1"}}';
const TIMESTAMP = 1_767_225_600;
const AT_TIMESTAMP = new Date(TIMESTAMP * 1000);

function signedHeaders(): Record<string, string> {
  return { ...webhookHeaders({ secret: SECRET, id: 'msg_1', timestamp: TIMESTAMP, body: BODY }) };
}

function assertFailsWith(reason: WebhookVerificationFailure, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof WebhookVerificationError);
    assert.equal(error.reason, reason);
    return true;
  });
}

describe('verifyWebhook', () => {
  it('accepts what the reference library signs', () => {
    const librarySignature = new Webhook(SECRET).sign('msg_lib', AT_TIMESTAMP, BODY);
    const headers = { 'webhook-id': 'msg_lib', 'webhook-timestamp': String(TIMESTAMP), 'webhook-signature': librarySignature };
    assert.deepEqual(verifyWebhook({ secret: SECRET, headers, body: BODY, now: AT_TIMESTAMP }), {
      id: 'msg_lib',
      timestamp: TIMESTAMP,
    });
  });

  it('reads headers in any letter case, as node or proxies may deliver them', () => {
    const shouted = Object.fromEntries(Object.entries(signedHeaders()).map(([k, v]) => [k.toUpperCase(), v]));
    assert.equal(verifyWebhook({ secret: SECRET, headers: shouted, body: BODY, now: AT_TIMESTAMP }).id, 'msg_1');
  });

  it('accepts when any of several space-separated signatures matches (secret rotation)', () => {
    const headers = signedHeaders();
    const other = new Webhook(generateWebhookSecret()).sign('msg_1', AT_TIMESTAMP, BODY);
    headers['webhook-signature'] = `v2,ignored ${other} ${headers['webhook-signature']}`;
    assert.equal(verifyWebhook({ secret: SECRET, headers, body: BODY, now: AT_TIMESTAMP }).timestamp, TIMESTAMP);
  });

  it('rejects a tampered body, id or timestamp and a wrong secret', () => {
    assertFailsWith('invalid_signature', () =>
      verifyWebhook({ secret: SECRET, headers: signedHeaders(), body: BODY.replace('g_1', 'g_2'), now: AT_TIMESTAMP }),
    );
    assertFailsWith('invalid_signature', () =>
      verifyWebhook({ secret: SECRET, headers: { ...signedHeaders(), 'webhook-id': 'msg_2' }, body: BODY, now: AT_TIMESTAMP }),
    );
    assertFailsWith('invalid_signature', () =>
      verifyWebhook({
        secret: SECRET,
        headers: { ...signedHeaders(), 'webhook-timestamp': String(TIMESTAMP + 1) },
        body: BODY,
        now: AT_TIMESTAMP,
      }),
    );
    assertFailsWith('invalid_signature', () =>
      verifyWebhook({ secret: generateWebhookSecret(), headers: signedHeaders(), body: BODY, now: AT_TIMESTAMP }),
    );
    assertFailsWith('invalid_signature', () =>
      verifyWebhook({ secret: SECRET, headers: { ...signedHeaders(), 'webhook-signature': 'v1,' }, body: BODY, now: AT_TIMESTAMP }),
    );
  });

  it('enforces the tolerance window in both directions', () => {
    const verifyAt = (offsetSeconds: number, toleranceSeconds?: number) => () =>
      verifyWebhook({
        secret: SECRET,
        headers: signedHeaders(),
        body: BODY,
        now: new Date((TIMESTAMP + offsetSeconds) * 1000),
        toleranceSeconds,
      });
    assert.doesNotThrow(verifyAt(300));
    assert.doesNotThrow(verifyAt(-300));
    assertFailsWith('timestamp_out_of_tolerance', verifyAt(301));
    assertFailsWith('timestamp_out_of_tolerance', verifyAt(-301));
    assertFailsWith('timestamp_out_of_tolerance', verifyAt(11, 10));
  });

  it('rejects missing headers and malformed timestamps', () => {
    const { 'webhook-signature': _dropped, ...unsigned } = signedHeaders();
    assertFailsWith('missing_headers', () => verifyWebhook({ secret: SECRET, headers: unsigned, body: BODY, now: AT_TIMESTAMP }));
    assertFailsWith('missing_headers', () =>
      verifyWebhook({ secret: SECRET, headers: { ...signedHeaders(), 'webhook-id': ['a', 'b'] }, body: BODY, now: AT_TIMESTAMP }),
    );
    for (const timestamp of ['', '1.5', '-1', 'soon', '1e9']) {
      const headers = { ...signedHeaders(), 'webhook-timestamp': timestamp };
      assertFailsWith(timestamp === '' ? 'missing_headers' : 'invalid_timestamp', () =>
        verifyWebhook({ secret: SECRET, headers, body: BODY, now: AT_TIMESTAMP }),
      );
    }
  });
});
