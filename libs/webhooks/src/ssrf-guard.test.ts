import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer } from 'node:http';
import { deliverWebhook } from './deliver-webhook.js';
import { checkWebhookUrl, guardedLookup, isForbiddenAddress, parseAllowedHosts } from './ssrf-guard.js';

describe('SSRF guard', () => {
  it('refuses loopback, private, link-local, CGNAT, unique-local, multicast and metadata addresses', () => {
    for (const address of [
      '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe',
    ]) {
      assert.equal(isForbiddenAddress(address), true, address);
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(isForbiddenAddress(address), false, address);
    }
  });

  it('requires https unless the host is allowlisted, and refuses IP literals and credentials', () => {
    const none = parseAllowedHosts('');
    assert.throws(() => checkWebhookUrl('http://example.com/hook', none), /https/);
    assert.throws(() => checkWebhookUrl('https://169.254.169.254/latest', none), /private|reserved/);
    assert.throws(() => checkWebhookUrl('https://[::1]/x', none), /private|reserved/);
    assert.throws(() => checkWebhookUrl('https://user:pw@example.com/x', none), /credentials/);
    assert.throws(() => checkWebhookUrl('https://localhost/x', none), /not allowed/);
    assert.equal(checkWebhookUrl('https://example.com/hook', none).hostname, 'example.com');
    assert.equal(checkWebhookUrl('http://127.0.0.1:9/x', parseAllowedHosts('127.0.0.1, hooks.internal')).hostname, '127.0.0.1');
  });

  it('never connects to a host that resolves to a forbidden address', async () => {
    let hits = 0;
    const server = createServer((_request, response) => {
      hits++;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const refused = await deliverWebhook({ url: `http://localhost:${port}/`, headers: {}, body: '{}', timeoutMs: 2000, lookup: guardedLookup(parseAllowedHosts('')) });
      assert.equal(refused.ok, false);
      assert.match(refused.error?.message ?? '', /forbidden addresses/);
      assert.equal(hits, 0);
      const allowed = await deliverWebhook({ url: `http://localhost:${port}/`, headers: {}, body: '{}', timeoutMs: 2000, lookup: guardedLookup(parseAllowedHosts('localhost')) });
      assert.equal(allowed.ok, true);
      assert.equal(hits, 1);
    } finally {
      server.close();
    }
  });
});
