import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalFarm, type LocalFarm } from '@atelier/local-services';
import { ProbeTable } from '../support/probe-table.js';
import { rawBytes, rawRequest } from '../support/raw-request.js';
import { fillRoute, registeredRoutes, type RegisteredRoute } from '../support/registered-routes.js';

const table = new ProbeTable('Fuzz: malformed paths, headers and bodies on every route never get a 5xx or a hang');
const TIMEOUT_MS = 20_000;
const PARALLEL = 6;

/** Values put where a route has a parameter (and appended to routes without one). */
const PATH_VALUES = ['%', '%E0%A4%A', '..%2f..%2fetc%2fpasswd', '%2e%2e', 'x'.repeat(8_000), '%00', 'a%ZZb', '%C0%AF', 'caf%C3%A9', 'x?y=%', '%F0%9F%98'];

function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Bodies: malformed, huge, deeply nested, wrong types, prototype keys. */
const BODIES: ReadonlyArray<readonly [string, string]> = [
  ['truncated JSON', '{"prompt": "x"'],
  ['not JSON', 'hello'],
  ['JSON null', 'null'],
  ['JSON number', '1e400'],
  ['JSON string', '"x"'],
  ['JSON array', '[1,2,3]'],
  ['wrong types', '{"model":[],"prompt":5,"img_width":"big","num_inference_steps":-1,"tenant":{},"scopes":"admin","requests":{},"file":null,"id":true}'],
  ['prototype keys', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"prompt":"x","model":"demo-sd15"}'],
  ['deeply nested object', deepJson(5_000)],
  ['deeply nested array', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ['nested metadata', `{"model":"demo-sd15","prompt":"x","metadata":${deepJson(3_000)}}`],
  ['a 2 MB string', `{"prompt":"${'x'.repeat(2 * 1024 * 1024)}"}`],
  ['lone surrogate', '{"prompt":"\\ud800"}'],
  ['huge number', `{"img_width":${'9'.repeat(400)},"num_inference_steps":1e308}`],
  ['many keys', `{${Array.from({ length: 20_000 }, (_, index) => `"k${index}":${index}`).join(',')}}`],
];

/** Hostile headers, each sent with an otherwise plain JSON body. */
const HEADERS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['Content-Type: foo', { 'content-type': 'foo' }],
  ['Content-Type: application/json; charset=koi8-r', { 'content-type': 'application/json; charset=koi8-r' }],
  ['Content-Type: application/json; charset=bogus', { 'content-type': 'application/json; charset=bogus' }],
  ['Content-Encoding: bogus', { 'content-type': 'application/json', 'content-encoding': 'bogus' }],
  ['Content-Encoding: gzip (not gzip)', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ['Authorization: Basic !!!', { authorization: 'Basic !!!' }],
  ['Authorization: Bearer', { authorization: 'Bearer' }],
  ['Authorization: Bearer <8 KB>', { authorization: `Bearer ${'k'.repeat(8_000)}` }],
  ['Authorization: bearer ☃ (UTF-8 bytes)', { authorization: Buffer.from('bearer ☃', 'utf8').toString('latin1') }],
  ['X-API-Key: <8 KB>', { 'x-api-key': 'k'.repeat(8_000) }],
  ['Idempotency-Key: <1 KB>', { 'idempotency-key': 'i'.repeat(1_000) }],
  ['Accept: text/event-stream', { accept: 'text/event-stream' }],
  ['Last-Event-ID: junk', { 'last-event-id': '%%%-1e999' }],
  ['Range: bytes=junk', { range: 'bytes=junk' }],
  ['a 60 KB header', { 'x-padding': 'p'.repeat(60_000) }],
];

/**
 * node:http refuses a header block over its limit with 431 and closes without reading the rest,
 * so the kernel may reset the connection before the client reads the 431: a refusal at the
 * protocol level, never a 5xx. Only for this probe is a reset an acceptable answer.
 */
const MAY_RESET = new Set(['a 60 KB header']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

interface Probe {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function probesFor(route: RegisteredRoute, authorization: Record<string, string>): Probe[] {
  const probes: Probe[] = [];
  const withBody = route.method !== 'GET' && route.method !== 'HEAD' && route.method !== 'DELETE';
  const base = fillRoute(route.path, 'fuzz');
  const hasParam = base !== route.path;
  for (const value of PATH_VALUES) {
    const target = hasParam ? fillRoute(route.path, value) : `${route.path.replace(/\/$/, '')}/${value}`;
    probes.push({ what: `path ${JSON.stringify(value.slice(0, 24))}`, method: route.method, path: target, headers: authorization });
  }
  for (const [what, headers] of HEADERS) {
    probes.push({ what, method: route.method, path: base, headers: { ...headers, ...(headers.authorization || headers['x-api-key'] ? {} : authorization) }, body: withBody ? '{"prompt":"x"}' : undefined });
  }
  if (withBody) {
    for (const [what, body] of BODIES) {
      probes.push({ what: `body: ${what}`, method: route.method, path: base, headers: { 'content-type': 'application/json', ...authorization }, body });
      probes.push({ what: `body: ${what}, Idempotency-Key`, method: route.method, path: base, headers: { 'content-type': 'application/json', 'idempotency-key': `fuzz-${what}`, ...authorization }, body });
    }
  }
  return probes;
}

async function runAll(farm: LocalFarm, probes: Probe[]): Promise<{ failures: string[]; statuses: Map<number, number> }> {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < probes.length) {
      const probe = probes[next++];
      const label = `${probe.method} ${probe.path.slice(0, 80)} (${probe.what})`;
      try {
        const response = await rawRequest(farm.apiUrl, { method: probe.method, path: probe.path, headers: probe.headers, body: probe.body, timeoutMs: TIMEOUT_MS });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500 || response.status === 0) failures.push(`${label}: ${response.status} ${response.body.slice(0, 200)}`);
      } catch (error) {
        if (MAY_RESET.has(probe.what) && RESET_CODES.has((error as NodeJS.ErrnoException).code ?? '')) {
          statuses.set(0, (statuses.get(0) ?? 0) + 1);
          continue;
        }
        failures.push(`${label}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
  return { failures, statuses };
}

describe('fuzz: no client input gets a 5xx or a hang, with or without a key', () => {
  let farm: LocalFarm;
  let dataDir: string;
  let routes: RegisteredRoute[];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'atelier-fuzz-'));
    farm = await startLocalFarm({
      workers: 0,
      waitForModel: false,
      output: process.env.E2E_VERBOSE ? process.stderr : undefined,
      env: { DATA_DIR: dataDir, MODELS_DIR: path.join(dataDir, 'models'), STORAGE_DRIVER: 'local', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' },
    });
    routes = await registeredRoutes(farm.env);
  });
  after(async () => {
    await farm?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  for (const [who, key] of [
    ['without a key', undefined],
    ['with a valid admin key', 'admin'],
  ] as const) {
    it(`malformed paths, hostile headers and bodies on every route ${who}`, async () => {
      const authorization: Record<string, string> = key ? { authorization: `Bearer ${farm.apiKey}` } : {};
      const probes = routes.flatMap((route) => probesFor(route, authorization));
      const { failures, statuses } = await runAll(farm, probes);
      const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status === 0 ? 'reset' : status}×${count}`).join(' ');
      table.record(`${probes.length} probes over ${routes.length} routes ${who}`, 'no 5xx, no hang', failures.length === 0 ? summary : `${failures.length} failures`);
      assert.deepEqual(failures, []);
    });
  }

  it('answers raw protocol abuse (NUL in the path, broken percent-encoding, bad header bytes) with 4xx or a closed connection', async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['NUL in the path', 'GET /v1/models\u0000x HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['bare % path', 'GET /% HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['%E0%A4%A under /files', 'GET /files/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['CR in a header value', 'GET /v1/models HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'],
      ['Content-Length and Transfer-Encoding', 'POST /v1/generations HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['negative Content-Length', 'POST /v1/generations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'],
      ['Content-Length larger than the body', `POST /v1/generations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'%KEY%'}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":1}`],
    ];
    for (const [what, text] of cases) {
      const status = await rawBytes(farm.apiUrl, Buffer.from(text.replace('%KEY%', farm.apiKey), 'latin1'), TIMEOUT_MS);
      table.record(`raw: ${what}`, '4xx or closed', status);
      assert.ok(status === 0 || (status >= 400 && status < 500), `${what}: ${status}`);
    }
  });
});
