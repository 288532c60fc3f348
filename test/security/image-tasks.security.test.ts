import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePng } from '@atelier/diffusion';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { pngDeclaring } from '../support/png-header.js';
import { ProbeTable } from '../support/probe-table.js';
import { rawRequest } from '../support/raw-request.js';

const table = new ProbeTable('Image tasks: POST /v1/preprocess, /v1/tasks/{id} and the per-kind aliases');
const TIMEOUT_MS = 15_000;
const MAX_IMAGE_BYTES = 200_000;

interface FieldError {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

/** The spellings an attacker tries for one path: as registered, `/V1/…`, last segment upper-cased, all upper-case. */
function casings(path: string): string[] {
  const segments = path.split('/');
  const last = segments.length - 1;
  return [...new Set([path, path.replace(/^\/v1\//, '/V1/'), segments.map((segment, index) => (index === last ? segment.toUpperCase() : segment)).join('/'), path.toUpperCase()])];
}

describe('image task security probes (real API and worker)', () => {
  let fixture: FarmFixture;
  let ownTask: string;
  let otherKey: string;
  const png = encodePng(new Uint8Array(32 * 32 * 3).fill(120), 32, 32);

  const call = (method: string, path: string, key: string | undefined, body?: unknown) =>
    rawRequest(fixture.farm.apiUrl, {
      method,
      path,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      timeoutMs: TIMEOUT_MS,
    });
  const fieldOf = (text: string): string => {
    try {
      return (JSON.parse(text) as FieldError).error?.details?.[0]?.field ?? '(none)';
    } catch {
      return '(not json)';
    }
  };

  before(async () => {
    fixture = await startFarmFixture({ MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES), RATE_LIMIT_PER_MINUTE: '100000' });
    const created = await fixture.api.request<{ id: string }>('POST', '/v1/preprocess', { image: png.toString('base64'), preprocessor: 'canny' });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    ownTask = created.body.id;
    await fixture.api.waitFor(`/v1/tasks/${ownTask}`);
    const other = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'mallory', scopes: ['generate'] });
    assert.equal(other.status, 201);
    otherKey = other.body.key;
  });
  after(async () => {
    await fixture?.stop();
  });

  it('needs a key on every image task route, however it is spelled', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/preprocess', { image: png.toString('base64'), preprocessor: 'canny' }],
      ['GET', `/v1/preprocess/${ownTask}`],
      ['POST', `/v1/preprocess/${ownTask}/cancel`],
      ['GET', `/v1/preprocess/${ownTask}/events`],
      ['GET', `/v1/tasks/${ownTask}`],
      ['POST', `/v1/tasks/${ownTask}/cancel`],
      ['GET', `/v1/tasks/${ownTask}/events`],
    ];
    for (const [method, path, body] of routes) {
      for (const spelling of casings(path)) {
        const response = await call(method, spelling, undefined, body);
        table.record(`${method} ${spelling} without key`, '401 or 404', response.status);
        assert.ok(response.status === 401 || response.status === 404, `${method} ${spelling}: ${response.status}`);
        assert.ok(!response.body.includes(ownTask) || response.status === 404, 'nothing about the task');
      }
    }
  });

  it("answers another tenant's task exactly like a missing one (404), on every route and spelling", async () => {
    const missing = `tsk_${'0'.repeat(32)}`;
    for (const [method, template] of [
      ['GET', '/v1/tasks/:id'],
      ['GET', '/v1/preprocess/:id'],
      ['POST', '/v1/tasks/:id/cancel'],
      ['POST', '/v1/preprocess/:id/cancel'],
      ['GET', '/v1/tasks/:id/events'],
      ['GET', '/v1/preprocess/:id/events'],
    ] as const) {
      const other = await call(method, template.replace(':id', ownTask), otherKey);
      const none = await call(method, template.replace(':id', missing), otherKey);
      table.record(`${method} ${template} another tenant's task`, '404 like a missing id', `${other.status} / missing ${none.status}`);
      assert.equal(other.status, 404);
      assert.equal(none.status, 404);
      assert.equal(other.body.replace(ownTask, 'ID'), none.body.replace(missing, 'ID'), 'the same answer as for an id that never existed');
      for (const spelling of casings(template.replace(':id', ownTask)).slice(1)) {
        const response = await call(method, spelling, otherKey);
        table.record(`${method} ${spelling} another tenant's task`, '404', response.status);
        assert.equal(response.status, 404, spelling);
      }
    }
    const own = await fixture.api.request<{ status: string }>('GET', `/v1/tasks/${ownTask}`);
    assert.equal(own.body.status, 'succeeded', 'the task itself is untouched');
  });

  it('refuses loopback, private and metadata image URLs with a 400 naming image', async () => {
    for (const url of [
      'http://127.0.0.1:9/in.png',
      'http://2130706433/in.png',
      'http://0x7f000001/in.png',
      'http://[::1]/in.png',
      'http://[::ffff:127.0.0.1]/in.png',
      'http://localhost/in.png',
      'http://10.0.0.7/in.png',
      'http://192.168.1.1/in.png',
      'http://169.254.169.254/latest/meta-data/',
      'http://user:secret@example.com/in.png',
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_FLUSHALL',
    ]) {
      const response = await call('POST', '/v1/preprocess', fixture.farm.apiKey, { image: url, preprocessor: 'canny' });
      table.record(`POST /v1/preprocess image=${url}`, '400 image', `${response.status} ${fieldOf(response.body)}`);
      assert.equal(response.status, 400, url);
      assert.equal(fieldOf(response.body), 'image', url);
    }
  });

  it('answers huge, hostile and unknown input with a 4xx naming the field, never a 5xx', async () => {
    const probes: Array<[string, unknown, number, string]> = [
      ['decompression bomb (declares 8192×8192)', { image: pngDeclaring(8192, 8192).toString('base64'), preprocessor: 'canny' }, 400, 'image'],
      ['image over MAX_IMAGE_BYTES', { image: Buffer.alloc(MAX_IMAGE_BYTES + 1, 7).toString('base64'), preprocessor: 'canny' }, 400, 'image'],
      ['bytes that are no image', { image: Buffer.from('hello, not an image').toString('base64'), preprocessor: 'canny' }, 400, 'image'],
      ['image not a string', { image: { $gt: '' }, preprocessor: 'canny' }, 400, 'image'],
      ['unknown preprocessor', { image: png.toString('base64'), preprocessor: 'sobel' }, 400, 'preprocessor'],
      ['preprocessor none (nothing to compute)', { image: png.toString('base64'), preprocessor: 'none' }, 400, 'preprocessor'],
      ['model-backed preprocessor without any model on the farm', { image: png.toString('base64'), preprocessor: 'openpose' }, 400, 'preprocessor'],
      ['model path traversal', { image: png.toString('base64'), preprocessor: 'depth', model: '../../etc' }, 400, 'model'],
      ['a model for canny', { image: png.toString('base64'), preprocessor: 'canny', model: 'depth' }, 400, 'model'],
      ['huge detect_resolution', { image: png.toString('base64'), preprocessor: 'canny', options: { detect_resolution: 1e12 } }, 400, 'options.detect_resolution'],
      ['huge output size', { image: png.toString('base64'), preprocessor: 'canny', options: { width: 100_000, height: 100_000 } }, 400, 'options.width'],
      ['output over MAX_PIXELS', { image: png.toString('base64'), preprocessor: 'canny', options: { width: 8192, height: 8192 } }, 400, 'options.width'],
      ['detect_resolution over 2048', { image: png.toString('base64'), preprocessor: 'canny', options: { detect_resolution: 4096 } }, 400, 'options.detect_resolution'],
      ['width without height', { image: png.toString('base64'), preprocessor: 'canny', options: { width: 512 } }, 400, 'options.width'],
      ['low above high threshold', { image: png.toString('base64'), preprocessor: 'canny', options: { low_threshold: 300, high_threshold: 100 } }, 400, 'options.low_threshold'],
      ['hands (not drawn)', { image: png.toString('base64'), preprocessor: 'openpose', options: { include_hands: true } }, 400, 'options.include_hands'],
      ['prototype key in options', JSON.parse('{"image":"aGk=","preprocessor":"canny","options":{"__proto__":{"admin":true}}}'), 400, 'options.__proto__'],
      ['unknown field', { image: png.toString('base64'), preprocessor: 'canny', tenant: 'mallory' }, 400, 'tenant'],
      ['internal webhook', { image: png.toString('base64'), preprocessor: 'canny', webhook: { url: 'https://10.0.0.7/hook' } }, 400, 'webhook.url'],
      ['bad output format', { image: png.toString('base64'), preprocessor: 'canny', output_format: 'bmp' }, 400, 'output_format'],
    ];
    for (const [what, body, status, field] of probes) {
      const response = await call('POST', '/v1/preprocess', fixture.farm.apiKey, body);
      table.record(`POST /v1/preprocess ${what}`, `${status} ${field}`, `${response.status} ${fieldOf(response.body)}`);
      assert.equal(response.status, status, `${what}: ${response.body.slice(0, 300)}`);
      assert.equal(fieldOf(response.body), field, what);
    }
    for (const [what, raw] of [
      ['malformed JSON', '{"image": '],
      ['deeply nested options', `{"image":"aGk=","preprocessor":"canny","options":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`],
    ] as const) {
      const response = await call('POST', '/v1/preprocess', fixture.farm.apiKey, raw);
      table.record(`POST /v1/preprocess ${what}`, '4xx', response.status);
      assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.status}`);
    }
  });
});
