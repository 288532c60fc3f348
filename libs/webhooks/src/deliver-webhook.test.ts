import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OutboundAllowlist, type OutboundPolicy, type Resolver } from '@atelier/outbound';
import { deliverWebhook, DEFAULT_MAX_RESPONSE_BODY_BYTES } from './deliver-webhook.js';
import { startHttpServer, type RunningHttpServer } from './testing/http-test-server.js';
import { startWebhookReceiver } from './testing/webhook-receiver.js';
import { buildWebhookEnvelope, WebhookEventType } from './webhook-events.js';
import { generateWebhookSecret } from './webhook-secret.js';
import { webhookHeaders } from './webhook-signature.js';

const TIMEOUT_MS = 2_000;

/** The test receivers listen on 127.0.0.1: allowlist exactly the one a delivery goes to (host and port). */
function localPolicy(url: string): OutboundPolicy {
  const host = URL.canParse(url) ? new URL(url).host : '';
  return { allowlist: OutboundAllowlist.parse(host), schemes: ['https:'] };
}

function signedDelivery(secret: string, type: WebhookEventType, data: unknown) {
  const body = JSON.stringify(buildWebhookEnvelope(type, data, new Date()));
  const headers = webhookHeaders({ secret, id: `msg_${randomUUID()}`, timestamp: Math.floor(Date.now() / 1000), body });
  return { body, headers };
}

describe('deliverWebhook', () => {
  const servers: RunningHttpServer[] = [];
  const serve = async (...args: Parameters<typeof startHttpServer>): Promise<RunningHttpServer> => {
    const server = await startHttpServer(...args);
    servers.push(server);
    return server;
  };
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  describe('to a receiver verifying with the standardwebhooks library', () => {
    const secret = generateWebhookSecret();
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
    before(async () => {
      receiver = await startWebhookReceiver({ secret });
    });
    after(async () => {
      await receiver.stop();
    });

    it('delivers signed events that verify, one request each', async () => {
      const events = [
        signedDelivery(secret, WebhookEventType.GenerationStarted, { id: 'gen_1' }),
        signedDelivery(secret, WebhookEventType.GenerationSucceeded, { id: 'gen_1', images: ['generations/gen_1/0.png'] }),
        signedDelivery(secret, WebhookEventType.BatchCompleted, { id: 'batch_1', note: 'ünïcødé ✓' }),
      ];
      for (const { body, headers } of events) {
        const result = await deliverWebhook({ url: `${receiver.url}/hooks`, policy: localPolicy(`${receiver.url}/hooks`), headers, body, timeoutMs: TIMEOUT_MS });
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.equal(result.status, 204);
        assert.equal(result.error, undefined);
        assert.ok(result.durationMs >= 0 && result.durationMs < TIMEOUT_MS);
      }
      assert.equal(receiver.received.length, 3);
      receiver.received.forEach((delivery, index) => {
        assert.equal(delivery.verificationError, undefined);
        assert.deepEqual(delivery.payload, JSON.parse(events[index].body));
        assert.equal(delivery.headers['webhook-id'], events[index].headers['webhook-id']);
        assert.equal(delivery.headers['content-type'], 'application/json');
        assert.equal(delivery.headers['content-length'], String(Buffer.byteLength(events[index].body)));
      });
    });

    it('a tampered body fails verification and is reported as the receiver status', async () => {
      const { body, headers } = signedDelivery(secret, WebhookEventType.GenerationFailed, { id: 'gen_2', error: 'oom' });
      const tampered = body.replace('oom', 'ok');
      const result = await deliverWebhook({ url: receiver.url, policy: localPolicy(receiver.url), headers, body: tampered, timeoutMs: TIMEOUT_MS });
      assert.equal(result.ok, false);
      assert.equal(result.status, 400);
      assert.equal(result.error?.code, 'http_status');
      assert.match(result.responseBody ?? '', /No matching signature/);
      assert.equal(receiver.received.at(-1)?.body, tampered);
      assert.equal(receiver.received.at(-1)?.payload, undefined);
    });
  });

  it('gives up with a timeout against a receiver that never answers', async () => {
    let requests = 0;
    const silent = await serve(() => {
      requests++; // and never respond
    });
    const result = await deliverWebhook({ url: silent.url, policy: localPolicy(silent.url), headers: {}, body: '{}', timeoutMs: 150 });
    assert.equal(result.ok, false);
    assert.equal(result.status, undefined);
    assert.equal(result.error?.code, 'timeout');
    assert.ok(result.durationMs >= 140 && result.durationMs < 1_500, `durationMs ${result.durationMs}`);
    assert.equal(requests, 1);
  });

  it('times out a receiver that sends headers but trickles its body forever', async () => {
    const slow = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const result = await deliverWebhook({ url: slow.url, policy: localPolicy(slow.url), headers: {}, body: '{}', timeoutMs: 150 });
    assert.equal(result.error?.code, 'timeout');
    assert.equal(result.ok, false);
  });

  it('does not follow redirects and reports them as failures', async () => {
    let hitsOnTarget = 0;
    const target = await serve((_request, response) => {
      hitsOnTarget++;
      response.writeHead(200).end();
    });
    const redirecting = await serve((_request, response) => {
      response.writeHead(307, { location: `${target.url}/elsewhere` }).end();
    });
    const result = await deliverWebhook({ url: redirecting.url, policy: localPolicy(redirecting.url), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.equal(result.ok, false);
    assert.equal(result.status, 307);
    assert.equal(result.error?.code, 'redirect');
    assert.ok(result.error?.message.includes(`${target.url}/elsewhere`));
    assert.equal(hitsOnTarget, 0);
  });

  it('reports a 500 with the start of the response body, truncated', async () => {
    const failing = await serve((_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('E'.repeat(10_000));
    });
    const result = await deliverWebhook({ url: failing.url, policy: localPolicy(failing.url), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.equal(result.ok, false);
    assert.equal(result.status, 500);
    assert.equal(result.error?.code, 'http_status');
    assert.equal(result.responseBody, 'E'.repeat(DEFAULT_MAX_RESPONSE_BODY_BYTES));
    assert.equal(result.responseBodyTruncated, true);
    assert.equal(result.retryAfterSeconds, undefined);

    const small = await deliverWebhook({ url: failing.url, policy: localPolicy(failing.url), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS, maxResponseBodyBytes: 10 });
    assert.equal(small.responseBody, 'E'.repeat(10));
  });

  it('keeps a short response body whole', async () => {
    const ok = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
    const result = await deliverWebhook({ url: ok.url, policy: localPolicy(ok.url), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.deepEqual(
      { ok: result.ok, status: result.status, body: result.responseBody, truncated: result.responseBodyTruncated },
      { ok: true, status: 200, body: '{"received":true}', truncated: false },
    );
  });

  it('parses Retry-After as delay-seconds or as an HTTP-date', async () => {
    const inNinetySeconds = new Date(Date.now() + 90_000).toUTCString();
    const throttling = await serve((request, response) => {
      const retryAfter = request.url === '/seconds' ? '120' : inNinetySeconds;
      response.writeHead(request.url === '/seconds' ? 503 : 429, { 'retry-after': retryAfter }).end();
    });
    const bySeconds = await deliverWebhook({ url: `${throttling.url}/seconds`, policy: localPolicy(`${throttling.url}/seconds`), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.equal(bySeconds.status, 503);
    assert.equal(bySeconds.retryAfterSeconds, 120);

    const byDate = await deliverWebhook({ url: `${throttling.url}/date`, policy: localPolicy(`${throttling.url}/date`), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.equal(byDate.status, 429);
    assert.equal(byDate.error?.code, 'http_status');
    assert.ok(byDate.retryAfterSeconds !== undefined && byDate.retryAfterSeconds >= 88 && byDate.retryAfterSeconds <= 90, String(byDate.retryAfterSeconds));
  });

  it('reports a refused connection as a network failure', async () => {
    const closed = await startHttpServer(() => undefined);
    await closed.stop();
    const result = await deliverWebhook({ url: closed.url, policy: localPolicy(closed.url), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'network');
    assert.match(result.error?.message ?? '', /ECONNREFUSED/);
  });

  it('returns, rather than throws, for unusable URLs and headers', async () => {
    for (const url of ['not a url', 'ftp://example.test/hook', 'file:///etc/passwd']) {
      const result = await deliverWebhook({ url, policy: localPolicy(url), headers: {}, body: '{}', timeoutMs: TIMEOUT_MS });
      assert.equal(result.error?.code, 'network', url);
      assert.match(result.error?.message ?? '', /Invalid webhook URL/);
    }
    const ok = await serve((_request, response) => response.writeHead(200).end());
    const badHeader = await deliverWebhook({ url: ok.url, policy: localPolicy(ok.url), headers: { 'x-bad': 'line\nbreak' }, body: '{}', timeoutMs: TIMEOUT_MS });
    assert.equal(badHeader.error?.code, 'network');
    assert.match(badHeader.error?.message ?? '', /Request not sent/);
  });

  it('connects to the address the resolver gave, and never to a forbidden one', async () => {
    let hits = 0;
    const ok = await serve((_request, response) => {
      hits++;
      response.writeHead(200).end();
    });
    const port = new URL(ok.url).port;
    const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const url = `http://receiver.test:${port}/`;
    const refused = await deliverWebhook({ url, headers: {}, body: '{}', timeoutMs: TIMEOUT_MS, policy: { allowlist: OutboundAllowlist.parse(`127.0.0.1:${port}`), schemes: ['http:'] }, resolve: toLoopback });
    assert.equal(refused.error?.code, 'forbidden', 'the allowlist names 127.0.0.1, not receiver.test: its loopback address is refused');
    assert.equal(hits, 0);

    const allowed = await deliverWebhook({ url, headers: {}, body: '{}', timeoutMs: TIMEOUT_MS, policy: { allowlist: OutboundAllowlist.parse(`receiver.test:${port}`), schemes: ['https:'] }, resolve: toLoopback });
    assert.equal(allowed.ok, true, JSON.stringify(allowed));
    assert.equal(hits, 1);
  });
});
