import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook, WebhookVerificationError as LibraryVerificationError } from 'standardwebhooks';
import { decodeWebhookSecret, generateWebhookSecret } from './webhook-secret.js';
import { verifyWebhook } from './verify-webhook.js';
import { signWebhook, webhookHeaders } from './webhook-signature.js';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('generateWebhookSecret', () => {
  it('returns whsec_ + base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(decodeWebhookSecret(secret).length, 32);
    assert.notEqual(generateWebhookSecret(), secret);
  });

  it('is accepted by the reference library', () => {
    const secret = generateWebhookSecret();
    const signed = new Webhook(secret).sign('msg_1', new Date(), '{}');
    assert.match(signed, /^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

describe('decodeWebhookSecret', () => {
  it('rejects secrets that are not base64 of 24 to 64 bytes', () => {
    for (const bad of ['', 'whsec_', 'whsec_not base64!', `whsec_${Buffer.alloc(16).toString('base64')}`, `whsec_${Buffer.alloc(65).toString('base64')}`]) {
      assert.throws(() => decodeWebhookSecret(bad), TypeError, JSON.stringify(bad));
    }
  });

  it('accepts the secret with or without its prefix', () => {
    const secret = generateWebhookSecret();
    assert.deepEqual(decodeWebhookSecret(secret.slice('whsec_'.length)), decodeWebhookSecret(secret));
  });
});

describe('signWebhook', () => {
  it('matches the Standard Webhooks published example', () => {
    // Test vector from the Standard Webhooks / Svix reference libraries.
    const signature = signWebhook({
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
    });
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('agrees with the reference library for arbitrary input', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: 'generation.succeeded', data: { id: 'g_1', note: 'ünïcødé ✓' } });
    const timestamp = 1_750_000_000;
    assert.equal(
      signWebhook({ secret, id: 'msg_abc', timestamp, body }),
      new Webhook(secret).sign('msg_abc', new Date(timestamp * 1000), body),
    );
  });

  it('rejects ids that cannot be header values and non-integer timestamps', () => {
    const secret = generateWebhookSecret();
    for (const id of ['', 'has space', 'line\nbreak', 'x'.repeat(256)]) {
      assert.throws(() => signWebhook({ secret, id, timestamp: 1, body: '{}' }), TypeError, JSON.stringify(id));
    }
    for (const timestamp of [-1, 1.5, Number.NaN, 1e20]) {
      assert.throws(() => signWebhook({ secret, id: 'msg', timestamp, body: '{}' }), TypeError, String(timestamp));
    }
  });
});

describe('webhookHeaders', () => {
  it('produces headers the reference library verifies', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: 'batch.completed', timestamp: new Date().toISOString(), data: { batchId: 'b_1' } });
    const headers = webhookHeaders({ secret, id: 'msg_batch_1', timestamp: nowSeconds(), body });

    assert.deepEqual(Object.keys(headers).sort(), ['content-type', 'webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.equal(headers['content-type'], 'application/json');
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  });

  it('fails reference verification when the body, id or secret changes', () => {
    const secret = generateWebhookSecret();
    const body = '{"type":"generation.failed","data":{"id":"g_9"}}';
    const headers = { ...webhookHeaders({ secret, id: 'msg_9', timestamp: nowSeconds(), body }) };
    const verifier = new Webhook(secret);

    assert.throws(() => verifier.verify(body.replace('g_9', 'g_8'), headers), LibraryVerificationError);
    assert.throws(() => verifier.verify(body, { ...headers, 'webhook-id': 'msg_10' }), LibraryVerificationError);
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers), LibraryVerificationError);
  });

  it('signs with every secret during a rotation: both verify, each as its own v1 entry, a third does not', () => {
    const next = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const body = '{"type":"generation.succeeded","data":{"id":"g_1"}}';
    const input = { id: 'msg_rot', timestamp: nowSeconds(), body };
    const headers = { ...webhookHeaders({ ...input, secrets: [next, previous] }) };

    assert.deepEqual(headers['webhook-signature'].split(' '), [signWebhook({ ...input, secret: next }), signWebhook({ ...input, secret: previous })]);
    assert.deepEqual(new Webhook(next).verify(body, headers), JSON.parse(body));
    assert.deepEqual(new Webhook(previous).verify(body, headers), JSON.parse(body));
    assert.deepEqual(verifyWebhook({ secret: previous, headers, body }), { id: 'msg_rot', timestamp: input.timestamp });
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers), LibraryVerificationError);
  });

  it('signs with one secret exactly as the single-secret form does', () => {
    const secret = generateWebhookSecret();
    const input = { id: 'msg_one', timestamp: nowSeconds(), body: '{}' };
    assert.deepEqual(webhookHeaders({ ...input, secrets: [secret] }), webhookHeaders({ ...input, secret }));
  });
});
