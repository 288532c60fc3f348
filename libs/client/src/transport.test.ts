import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { AtelierApiError, AtelierNetworkError, AtelierResponseError } from './errors.js';
import { Transport } from './transport.js';

/** What the scripted server does for one request: answer, or drop the connection. */
type Step = { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> } | 'drop';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A plain HTTP server that plays a script, to exercise the retry loop over real sockets; the
 * API's own behaviour is tested end to end against a real farm.
 */
function scriptedServer(): { server: Server; script: Step[]; seen: Seen[] } {
  const script: Step[] = [];
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const step = script.shift() ?? { status: 200, body: '{"ok":true}' };
      if (step === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      response.end(step.body ?? '');
    });
  });
  return { server, script, seen };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const okSchema = z.object({ ok: z.boolean() });
const busy = (status: number, retryAfter?: string): Step => ({
  status,
  body: JSON.stringify({ error: { code: status === 429 ? 'rate_limited' : 'unavailable', message: 'come back later' } }),
  headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
});

describe('transport retries over real sockets', () => {
  const api = scriptedServer();
  const storage = scriptedServer();
  let apiUrl: string;
  let storageUrl: string;
  let transport: Transport;

  before(async () => {
    apiUrl = await listen(api.server);
    storageUrl = await listen(storage.server);
  });
  after(async () => {
    api.server.closeAllConnections();
    storage.server.closeAllConnections();
    await Promise.all([api.server, storage.server].map((server) => new Promise((resolve) => server.close(resolve))));
  });
  beforeEach(() => {
    api.script.length = 0;
    api.seen.length = 0;
    storage.seen.length = 0;
    transport = new Transport({ baseUrl: apiUrl, apiKey: 'k-123', retry: { baseDelayMs: 10, maxDelayMs: 40, maxRetries: 3 } });
  });

  it('honours Retry-After on 429 and reuses one Idempotency-Key across the attempts of a POST', async () => {
    api.script.push(busy(429, '1'), { status: 202, body: '{"ok":true}' });
    const started = Date.now();
    const result = await transport.json({ method: 'POST', target: '/v1/generations', json: { prompt: 'a red circle' } }, okSchema);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.deepEqual(result, { body: { ok: true }, status: 202 });
    assert.equal(api.seen.length, 2);
    const [first, second] = api.seen;
    assert.match(String(first.headers['idempotency-key']), /^[0-9a-f-]{36}$/);
    assert.equal(second.headers['idempotency-key'], first.headers['idempotency-key']);
    assert.equal(first.headers.authorization, 'Bearer k-123');
    assert.equal(second.body, '{"prompt":"a red circle"}');
  });

  it('gives each logical POST its own key, and GETs none', async () => {
    await transport.json({ method: 'POST', target: '/a', json: {} }, okSchema);
    await transport.json({ method: 'POST', target: '/a', json: {} }, okSchema);
    await transport.json({ method: 'GET', target: '/a' }, okSchema);
    assert.notEqual(api.seen[0].headers['idempotency-key'], api.seen[1].headers['idempotency-key']);
    assert.equal(api.seen[2].headers['idempotency-key'], undefined);
  });

  it('backs off on 503 and on dropped connections, then succeeds', async () => {
    const notices: string[] = [];
    const told = new Transport({ baseUrl: apiUrl, retry: { baseDelayMs: 10, maxDelayMs: 40 }, onRetry: (notice) => notices.push(`${notice.retry} ${notice.request} ${notice.reason}`) });
    api.script.push(busy(503), 'drop', { status: 200, body: '{"ok":false}' });
    const result = await told.json({ method: 'GET', target: '/readyz' }, okSchema);
    assert.deepEqual(result.body, { ok: false });
    assert.equal(api.seen.length, 3);
    assert.equal(notices.length, 2);
    assert.equal(notices[0], '1 GET /readyz HTTP 503 unavailable: come back later');
    assert.match(notices[1], /^2 GET \/readyz no response after 2 attempts: /);
  });

  it('stops after maxRetries and surfaces the last API error', async () => {
    api.script.push(busy(503), busy(503), busy(503), busy(503), { status: 200, body: '{"ok":true}' });
    await assert.rejects(transport.json({ method: 'GET', target: '/v1/models' }, okSchema), (error: unknown) => {
      assert.ok(error instanceof AtelierApiError);
      assert.equal(error.status, 503);
      assert.equal(error.code, 'unavailable');
      assert.equal(error.request, 'GET /v1/models');
      return true;
    });
    assert.equal(api.seen.length, 4);
  });

  it('does not retry a final error', async () => {
    api.script.push({ status: 400, body: '{"error":{"code":"validation_failed","message":"scheduler: unknown","details":[{"field":"scheduler","message":"unknown"}]}}' });
    await assert.rejects(transport.json({ method: 'POST', target: '/v1/generations', json: {} }, okSchema), { name: 'AtelierApiError', code: 'validation_failed', status: 400 });
    assert.equal(api.seen.length, 1);
  });

  it('reports a server that never answers as a network error after bounded attempts', async () => {
    api.script.push('drop', 'drop', 'drop', 'drop');
    await assert.rejects(transport.json({ method: 'GET', target: '/healthz' }, okSchema), (error: unknown) => {
      assert.ok(error instanceof AtelierNetworkError);
      assert.equal(error.attempts, 4);
      return true;
    });
  });

  it('fails clearly when a 2xx body does not have the documented shape', async () => {
    api.script.push({ status: 200, body: '{"ok":"yes"}' });
    await assert.rejects(transport.json({ method: 'GET', target: '/v1/models' }, okSchema), (error: unknown) => {
      assert.ok(error instanceof AtelierResponseError);
      assert.match(error.message, /GET \/v1\/models: unexpected response shape.*ok: /);
      return true;
    });
  });

  it('sends the API key to the API origin only, and keeps presigned query strings out of messages', async () => {
    const bytes = await transport.bytes({ method: 'GET', target: `${storageUrl}/bucket/gen_1/0.png?X-Amz-Signature=secret` });
    assert.equal(bytes.toString(), '{"ok":true}');
    assert.equal(storage.seen[0].headers.authorization, undefined);
    storage.script.push({ status: 403, body: '<Error>denied</Error>' });
    await assert.rejects(transport.bytes({ method: 'GET', target: `${storageUrl}/bucket/x.png?X-Amz-Signature=secret` }), (error: unknown) => {
      assert.ok(error instanceof AtelierApiError);
      assert.equal(error.request, `GET ${storageUrl}/bucket/x.png`);
      assert.doesNotMatch(`${error.message} ${error.request}`, /secret/);
      return true;
    });
  });

  it('stops waiting as soon as the caller aborts', async () => {
    // 30 s is within the policy's limit, so without the abort the transport would wait it out.
    api.script.push(busy(429, '30'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed Ctrl-C')), 50);
    const started = Date.now();
    await assert.rejects(transport.json({ method: 'GET', target: '/slow', signal: controller.signal }, okSchema), /user pressed Ctrl-C/);
    assert.ok(Date.now() - started < 5_000);
    assert.equal(api.seen.length, 1);
  });
});
