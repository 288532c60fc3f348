import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseEnvironment } from '@atelier/config';
import { signLocalObject } from '@atelier/storage';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';
import { rawRequest } from '../support/raw-request.js';
import { fillRoute, registeredRoutes, type RegisteredRoute } from '../support/registered-routes.js';

const table = new ProbeTable('Authentication: deny by default, any path casing, any scheme casing');
const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const WORKER_CONTROL_TOKEN = `control-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = randomBytes(24).toString('hex');
const TIMEOUT_MS = 15_000;

/** The only routes anyone may call without a key; a route added later is private unless listed here. */
const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /', 'GET /console/:file', 'GET /docs', 'GET /docs/openapi.json', 'GET /files/:key', 'PUT /files/:key']);

/** The spellings an attacker tries for one path: as registered, `/V1/…`, last segment upper-cased, all upper-case. */
function casings(path: string): string[] {
  const segments = path.split('/');
  const last = segments.length - 1;
  const variants = [
    path,
    path.replace(/^\/v1\//, '/V1/').replace(/^\/sdapi\//, '/SDAPI/'),
    segments.map((segment, index) => (index === last ? segment.toUpperCase() : segment)).join('/'),
    path.toUpperCase(),
  ];
  return [...new Set(variants)];
}

describe('authentication: every route needs a key unless marked public, however it is spelled', () => {
  let fixture: FarmFixture;
  let routes: RegisteredRoute[];
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    rawRequest(fixture.farm.apiUrl, { method, path, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers }, body, timeoutMs: TIMEOUT_MS });
  const bearer = (scheme: string, key: string) => ({ authorization: `${scheme} ${key}` });

  before(async () => {
    fixture = await startFarmFixture(
      { STORAGE_DRIVER: 'local', STORAGE_SIGNING_SECRET: SIGNING_SECRET, METRICS_TOKEN, WORKER_CONTROL_TOKEN, RATE_LIMIT_PER_MINUTE: '100000' },
      1,
    );
    routes = await registeredRoutes(fixture.farm.env);
  });
  after(async () => {
    await fixture?.stop();
  });

  it('reads the routes from the API itself (admin, workers, webhooks, compat, metrics all present)', () => {
    const names = new Set(routes.map((route) => `${route.method} ${route.path}`));
    for (const expected of ['POST /v1/admin/keys', 'GET /v1/webhooks/secret', 'PATCH /v1/admin/tenants/:tenant/limits', 'POST /v1/workers/:id/drain', 'POST /sdapi/v1/txt2img', 'GET /metrics']) {
      assert.ok(names.has(expected), `${expected} is registered`);
    }
    assert.ok(routes.length >= 40, `${routes.length} routes`);
  });

  it('answers 401 to every private route without a key, and 4xx (401 or 404 when private) to every other casing', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      for (const path of casings(fillRoute(route.path))) {
        const exact = path === fillRoute(route.path);
        const response = await call(route.method, path, {}, ['POST', 'PUT', 'PATCH'].includes(route.method) ? '{"tenant":"x","scopes":["admin"]}' : undefined);
        const isPublic = PUBLIC.has(name);
        // Another spelling of a public route is another path (or another file key): any 4xx.
        const expected = exact ? (isPublic ? 'not 401, not 5xx' : '401') : isPublic ? '4xx' : '401 or 404';
        const ok = exact
          ? isPublic
            ? response.status !== 401 && response.status < 500
            : response.status === 401
          : isPublic
            ? response.status >= 400 && response.status < 500
            : response.status === 401 || response.status === 404;
        table.record(`${route.method} ${path} without key`, expected, response.status);
        if (!ok) failures.push(`${route.method} ${path}: ${response.status} (expected ${expected})`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('does not mint keys, leak the webhook secret, change limits or drain workers through /V1/… without a key', async () => {
    const probes: Array<[string, string, string?]> = [
      ['POST', '/V1/admin/keys', '{"tenant":"mallory","scopes":["admin"]}'],
      ['GET', '/V1/webhooks/secret'],
      ['PATCH', '/V1/admin/tenants/default/limits', '{"requests_per_minute":1}'],
      ['POST', '/V1/workers/x/drain'],
      ['GET', '/v1/webhooks/secret'],
    ];
    for (const [method, path, body] of probes) {
      const response = await call(method, path, {}, body);
      table.record(`${method} ${path} without key`, '401 or 404', response.status);
      assert.ok(response.status === 401 || response.status === 404, `${method} ${path}: ${response.status} ${response.body}`);
      assert.ok(!response.body.includes('whsec_'), 'no signing secret in the answer');
    }
  });

  it("refuses a tenant's generate key on the operator routes (keys, limits, fleet, worker classes, pipeline imports)", async () => {
    const tenant = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'operator-probe', scopes: ['generate', 'models:write'] });
    assert.equal(tenant.status, 201);
    const auth = bearer('Bearer', tenant.body.key);
    const probes: Array<[string, string, string?]> = [
      ['POST', '/v1/admin/keys', '{"tenant":"operator-probe","scopes":["admin"]}'],
      ['PATCH', '/v1/admin/tenants/operator-probe/limits', '{"requests_per_minute":100000}'],
      ['GET', '/v1/workers'],
      ['GET', '/v1/workers/classes'],
      ['DELETE', '/v1/workers/classes/default'],
      ['POST', '/v1/workers/x/drain'],
      ['POST', '/v1/models', '{"kind":"pipeline","name":"p","source":"s3://atelier-e2e/registry"}'],
    ];
    for (const [method, path, body] of probes) {
      const response = await call(method, path, { ...auth, 'content-type': 'application/json' }, body);
      table.record(`${method} ${path} with a generate key`, '403', response.status);
      assert.equal(response.status, 403, `${method} ${path}: ${response.body}`);
    }
    const classes = await call('GET', '/v1/workers/classes', bearer('Bearer', fixture.farm.apiKey));
    assert.equal(classes.status, 200, 'the default class survives the refused DELETE');
    assert.ok(classes.body.includes('"default"'), classes.body);
  });

  it('accepts the Bearer scheme in any letter case, on /v1 and on the A1111 routes', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const v1 = await call('GET', '/v1/models', bearer(scheme, fixture.farm.apiKey));
      table.record(`GET /v1/models with "${scheme} <key>"`, '200', v1.status);
      assert.equal(v1.status, 200);
      const a1111 = await call('GET', '/sdapi/v1/sd-models', bearer(scheme, fixture.farm.apiKey));
      table.record(`GET /sdapi/v1/sd-models with "${scheme} <key>"`, '200', a1111.status);
      assert.equal(a1111.status, 200);
    }
    const basic = await call('GET', '/sdapi/v1/sd-models', { authorization: `BASIC ${Buffer.from(`user:${fixture.farm.apiKey}`).toString('base64')}` });
    table.record('GET /sdapi/v1/sd-models with "BASIC user:<key>"', '200', basic.status);
    assert.equal(basic.status, 200);
    const garbage = await call('GET', '/sdapi/v1/sd-models', { authorization: 'Basic !!!' });
    table.record('GET /sdapi/v1/sd-models with "Basic !!!"', '401', garbage.status);
    assert.equal(garbage.status, 401);
    assert.match(String(garbage.headers['www-authenticate']), /^Basic /);
  });

  it('serves /metrics to the scrape token or an admin key only', async () => {
    const generator = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'metrics-probe', scopes: ['generate'] });
    assert.equal(generator.status, 201);
    const cases: Array<[string, Record<string, string>, number]> = [
      ['without credentials', {}, 401],
      ['with "bearer <METRICS_TOKEN>"', bearer('bearer', METRICS_TOKEN), 200],
      ['with a wrong token', bearer('Bearer', `${METRICS_TOKEN}x`), 401],
      ['with a generate-scope key', bearer('Bearer', generator.body.key), 403],
      ['with an admin key', bearer('Bearer', fixture.farm.apiKey), 200],
    ];
    for (const [what, headers, expected] of cases) {
      const response = await call('GET', '/metrics', headers);
      table.record(`GET /metrics ${what}`, String(expected), response.status);
      assert.equal(response.status, expected, what);
    }
  });

  it("requires WORKER_CONTROL_TOKEN for the worker's POST /drain and /undrain", async () => {
    const base = fixture.farm.workers[0].metricsUrl.replace(/\/metrics$/, '');
    const worker = (method: string, path: string, headers: Record<string, string> = {}) => rawRequest(base, { method, path, headers, timeoutMs: TIMEOUT_MS });
    const cases: Array<[string, string, Record<string, string>, number]> = [
      ['POST /drain without token', '/drain', {}, 401],
      ['POST /undrain without token', '/undrain', {}, 401],
      ['POST /drain with a wrong token', '/drain', bearer('Bearer', `${WORKER_CONTROL_TOKEN}x`), 401],
      ['POST /drain with "bearer <token>"', '/drain', bearer('bearer', WORKER_CONTROL_TOKEN), 200],
      ['POST /undrain with "Bearer <token>"', '/undrain', bearer('Bearer', WORKER_CONTROL_TOKEN), 200],
    ];
    for (const [what, path, headers, expected] of cases) {
      const response = await worker('POST', path, headers);
      table.record(`worker ${what}`, String(expected), response.status);
      assert.equal(response.status, expected, what);
    }
    const health = await worker('GET', '/healthz');
    assert.equal(health.status, 200, 'probes stay anonymous');
  });

  it('answers 4xx, not 500, to malformed signed-file paths, content types and keys', async () => {
    const expires = Math.floor(Date.now() / 1000) + 600;
    const signed = (key: string, purpose = key) => `?expires=${expires}&signature=${signLocalObject(purpose, expires, SIGNING_SECRET)}`;
    const cases: Array<[string, string, string, Record<string, string>, string?]> = [
      ['GET /files/%E0%A4%A', 'GET', '/files/%E0%A4%A', {}],
      ['PUT /files/<signed key> with Content-Type: foo', 'PUT', `/files/uploads/probe.bin${signed('uploads/probe.bin', 'put:uploads/probe.bin')}`, { 'content-type': 'foo' }, 'data'],
      ['GET /files/<signed key "a//b">', 'GET', `/files/a//b${signed('a//b')}`, {}],
      ['GET /files/<signed key "a/../b">', 'GET', `/files/a/%2E%2E/b${signed('a/../b')}`, {}],
      ['PUT /files/<signed key "x/">', 'PUT', `/files/x/${signed('x/', 'put:x/')}`, { 'content-type': 'image/png' }, 'data'],
    ];
    for (const [what, method, path, headers, body] of cases) {
      const response = await rawRequest(fixture.farm.apiUrl, { method, path, headers, body, timeoutMs: TIMEOUT_MS });
      table.record(what, '400', response.status);
      assert.equal(response.status, 400, `${what}: ${response.body}`);
    }
  });

  it('replays an Idempotency-Key request whose body has the same fields in another order', async () => {
    const key = `order-${randomBytes(6).toString('hex')}`;
    const headers = { ...bearer('Bearer', fixture.farm.apiKey), 'idempotency-key': key };
    const first = await call('POST', '/v1/generations', headers, JSON.stringify({ model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2 }));
    const reordered = await call('POST', '/v1/generations', headers, JSON.stringify({ num_inference_steps: 2, img_height: 64, img_width: 64, prompt: 'a red circle', model: 'demo-sd15' }));
    table.record('same Idempotency-Key, same body, keys reordered', '202 replayed', `${reordered.status}${reordered.headers['idempotent-replayed'] ? ' replayed' : ''}`);
    assert.equal(first.status, 202, first.body);
    assert.equal(reordered.status, 202, reordered.body);
    assert.equal(reordered.headers['idempotent-replayed'], 'true');
    assert.equal((JSON.parse(reordered.body) as { id: string }).id, (JSON.parse(first.body) as { id: string }).id);
  });

  it('binds to loopback unless HOST says otherwise', () => {
    const host = parseEnvironment({}).HOST;
    table.record('default HOST', '127.0.0.1', host);
    assert.equal(host, '127.0.0.1');
  });
});
