import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { OutboundAllowlist } from './allowlist.js';
import { guardedFetch } from './guarded-fetch.js';
import { OutboundError } from './outbound-error.js';
import type { OutboundPolicy } from './outbound-url.js';
import type { Resolver } from './pinned-address.js';

const servers: Server[] = [];
after(() => servers.forEach((server) => server.close()));

async function serve(handler: RequestListener): Promise<{ port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, hits: () => hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const allowing = (...entries: string[]): OutboundPolicy => ({ allowlist: OutboundAllowlist.parse(entries.join(',')), schemes: ['http:', 'https:'] });
const open: OutboundPolicy = { allowlist: OutboundAllowlist.empty, schemes: ['http:', 'https:'] };

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OutboundError, String(error));
    return error;
  }
  assert.fail('expected an OutboundError');
}

describe('guardedFetch', () => {
  it('fetches an allowlisted target and returns status, headers and body', async () => {
    const server = await serve((_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
    const response = await guardedFetch(`http://127.0.0.1:${server.port}/x`, { policy: allowing(`127.0.0.1:${server.port}`), timeoutMs: 2_000, maxBytes: 100 });
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'hello');
  });

  it('never connects when a host name resolves only to forbidden addresses, and pins the address it checked', async () => {
    const server = await serve((_request, response) => response.end('secret'));
    const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const refused = await failure(guardedFetch(`http://images.example:${server.port}/x`, { policy: open, timeoutMs: 2_000, maxBytes: 100, resolve: toLoopback }));
    assert.equal(refused.code, 'forbidden_address');
    assert.equal(server.hits(), 0);

    // A rebinding resolver: public first, loopback afterwards. It is asked once; the socket goes to the public answer.
    let calls = 0;
    const rebinding: Resolver = async () => (calls++ === 0 ? [{ address: '192.0.2.1', family: 4 }, { address: '127.0.0.1', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const mixed = await failure(guardedFetch(`http://images.example:${server.port}/x`, { policy: open, timeoutMs: 2_000, maxBytes: 100, resolve: rebinding }));
    assert.equal(mixed.code, 'forbidden_address', '192.0.2.1 is documentation space, 127.0.0.1 loopback: nothing usable');
    assert.equal(calls, 1);
    assert.equal(server.hits(), 0);
  });

  it('refuses a host that is allowlisted on another port', async () => {
    const server = await serve((_request, response) => response.end('secret'));
    const refused = await failure(guardedFetch(`http://127.0.0.1:${server.port}/x`, { policy: allowing(`127.0.0.1:${server.port + 1}`), timeoutMs: 2_000, maxBytes: 100 }));
    assert.equal(refused.code, 'forbidden_address');
    assert.equal(server.hits(), 0);
  });

  it('re-checks every redirect hop and refuses one into a forbidden address', async () => {
    const inside = await serve((_request, response) => response.end('secret'));
    const outside = await serve((request, response) => {
      if (request.url === '/hop') response.writeHead(302, { location: '/final' }).end();
      else if (request.url === '/final') response.end('done');
      else response.writeHead(302, { location: `http://127.0.0.1:${inside.port}/` }).end();
    });
    const policy = allowing(`127.0.0.1:${outside.port}`);
    const followed = await guardedFetch(`http://127.0.0.1:${outside.port}/hop`, { policy, timeoutMs: 2_000, maxBytes: 100, maxRedirects: 3 });
    assert.equal(followed.body.toString(), 'done');
    const refused = await failure(guardedFetch(`http://127.0.0.1:${outside.port}/inside`, { policy, timeoutMs: 2_000, maxBytes: 100, maxRedirects: 3 }));
    assert.equal(refused.code, 'forbidden_address');
    assert.equal(inside.hits(), 0);
    const notFollowed = await guardedFetch(`http://127.0.0.1:${outside.port}/inside`, { policy, timeoutMs: 2_000, maxBytes: 100 });
    assert.equal(notFollowed.status, 302, 'without maxRedirects a 3xx is returned as is');
  });

  it('stops at the size cap (declared or streamed) and at the deadline', async () => {
    const server = await serve((request, response) => {
      if (request.url === '/declared') response.writeHead(200, { 'content-length': '1000' }).end('x'.repeat(1000));
      else if (request.url === '/streamed') {
        response.writeHead(200);
        response.write('x'.repeat(600));
        response.end('x'.repeat(600));
      } else response.writeHead(200).write('trickle'); // never ends
    });
    const policy = allowing(`127.0.0.1:${server.port}`);
    const base = `http://127.0.0.1:${server.port}`;
    assert.equal((await failure(guardedFetch(`${base}/declared`, { policy, timeoutMs: 2_000, maxBytes: 100 }))).code, 'too_large');
    assert.equal((await failure(guardedFetch(`${base}/streamed`, { policy, timeoutMs: 2_000, maxBytes: 1000 }))).code, 'too_large');
    const truncated = await guardedFetch(`${base}/streamed`, { policy, timeoutMs: 2_000, maxBytes: 1000, overflow: 'truncate' });
    assert.deepEqual([truncated.body.length, truncated.truncated], [1000, true]);
    assert.equal((await failure(guardedFetch(`${base}/slow`, { policy, timeoutMs: 200, maxBytes: 100 }))).code, 'timeout');
  });

  it('reports DNS failures and refused connections with their own codes (callers decide what clients see)', async () => {
    const noDns: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    assert.equal((await failure(guardedFetch('http://nowhere.invalid/x', { policy: open, timeoutMs: 2_000, maxBytes: 100, resolve: noDns }))).code, 'dns_failed');
    const closed = await serve(() => undefined);
    await closed.close();
    assert.equal((await failure(guardedFetch(`http://127.0.0.1:${closed.port}/x`, { policy: allowing(`127.0.0.1:${closed.port}`), timeoutMs: 2_000, maxBytes: 100 }))).code, 'network');
  });
});
