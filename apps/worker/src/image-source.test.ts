import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { encodePng, InvalidImageError } from '@atelier/diffusion';
import { OutboundAllowlist, type OutboundPolicy, type Resolver } from '@atelier/outbound';
import { fetchImageBytes } from './image-source.js';

/** What a job records for an image that failed, as the worker's classifier reports it. */
async function outcome(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'fetched';
  } catch (error) {
    assert.ok(error instanceof InvalidImageError, String(error));
    return `invalid_image: ${error.message}`;
  }
}

describe('image URLs on the worker: one error for every way a fetch can fail', () => {
  const png = encodePng(new Uint8Array(8 * 8 * 3).fill(200), 8, 8);
  let server: Server;
  let openPort = 0;
  let closedPort = 0;
  let hits = 0;
  const policy: OutboundPolicy = { allowlist: OutboundAllowlist.empty, schemes: ['http:', 'https:'] };
  // Stands in for a DNS name an attacker controls that points at the worker's own loopback.
  const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

  before(async () => {
    server = createServer((request, response) => {
      hits++;
      if (request.url === '/missing.png') response.writeHead(404).end('no such image');
      else response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    openPort = (server.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });
  after(() => server.close());

  it('a name resolving to loopback gives the same answer for an open port, a closed port and a failed lookup, and never connects', async () => {
    const open = await outcome(fetchImageBytes(`http://evil.example:${openPort}/in.png`, 'init_image', { policy, maxBytes: 1 << 20, resolve: toLoopback }));
    const closed = await outcome(fetchImageBytes(`http://evil.example:${closedPort}/in.png`, 'init_image', { policy, maxBytes: 1 << 20, resolve: toLoopback }));
    const noDns: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    const unresolvable = await outcome(fetchImageBytes('http://nowhere.invalid/in.png', 'init_image', { policy, maxBytes: 1 << 20, resolve: noDns }));
    assert.equal(open, 'invalid_image: init_image: could not fetch');
    assert.deepEqual([closed, unresolvable], [open, open]);
    assert.equal(hits, 0, 'the loopback server was never reached');
  });

  it('an allowlisted server answering an error, a closed allowlisted port and an oversized body read the same too', async () => {
    const allowed: OutboundPolicy = { allowlist: OutboundAllowlist.parse(`127.0.0.1:${openPort},127.0.0.1:${closedPort}`), schemes: ['http:', 'https:'] };
    const fetched = await fetchImageBytes(`http://127.0.0.1:${openPort}/in.png`, 'mask_image', { policy: allowed, maxBytes: 1 << 20 });
    assert.deepEqual(fetched, png);
    const notFound = await outcome(fetchImageBytes(`http://127.0.0.1:${openPort}/missing.png`, 'mask_image', { policy: allowed, maxBytes: 1 << 20 }));
    const closed = await outcome(fetchImageBytes(`http://127.0.0.1:${closedPort}/in.png`, 'mask_image', { policy: allowed, maxBytes: 1 << 20 }));
    const tooLarge = await outcome(fetchImageBytes(`http://127.0.0.1:${openPort}/in.png`, 'mask_image', { policy: allowed, maxBytes: 10 }));
    assert.deepEqual([notFound, closed, tooLarge], Array(3).fill('invalid_image: mask_image: could not fetch'));
  });
});
