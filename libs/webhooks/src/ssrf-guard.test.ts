import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOutboundUrl, OutboundAllowlist, OutboundError } from '@atelier/outbound';
import { webhookPolicy } from './ssrf-guard.js';

/** A webhook URL under the webhook policy (https unless allowlisted). */
const checkWebhookUrl = (raw: string, allowlist: OutboundAllowlist): URL => checkOutboundUrl(raw, webhookPolicy(allowlist));
const parseAllowedHosts = (list: string): OutboundAllowlist => OutboundAllowlist.parse(list);

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof OutboundError ? error.code : 'not an OutboundError';
  }
};

describe('webhook targets (the outbound rules, https only unless allowlisted)', () => {
  it('requires https unless the host and port are allowlisted, and refuses IP literals and credentials', () => {
    const none = parseAllowedHosts('');
    assert.equal(codeOf(() => checkWebhookUrl('http://example.com/hook', none)), 'forbidden_scheme');
    assert.equal(codeOf(() => checkWebhookUrl('https://169.254.169.254/latest', none)), 'forbidden_address');
    assert.equal(codeOf(() => checkWebhookUrl('https://[::1]/x', none)), 'forbidden_address');
    assert.equal(codeOf(() => checkWebhookUrl('https://user:pw@example.com/x', none)), 'credentials');
    assert.equal(codeOf(() => checkWebhookUrl('https://localhost/x', none)), 'forbidden_host');
    assert.equal(checkWebhookUrl('https://example.com/hook', none).hostname, 'example.com');
  });

  it('matches the allowlist on host AND port; a bare host means the default port', () => {
    const allowlist = parseAllowedHosts('127.0.0.1:9000, hooks.internal');
    assert.equal(checkWebhookUrl('http://127.0.0.1:9000/x', allowlist).port, '9000');
    assert.equal(codeOf(() => checkWebhookUrl('http://127.0.0.1:9001/x', allowlist)), 'forbidden_scheme', 'same host, another port');
    assert.equal(codeOf(() => checkWebhookUrl('https://127.0.0.1:9001/x', allowlist)), 'forbidden_address', 'same host, another port');
    assert.equal(checkWebhookUrl('http://hooks.internal/x', allowlist).hostname, 'hooks.internal');
    assert.equal(checkWebhookUrl('https://hooks.internal/x', allowlist).hostname, 'hooks.internal');
    assert.equal(codeOf(() => checkWebhookUrl('http://hooks.internal:8080/x', allowlist)), 'forbidden_scheme');
  });
});
