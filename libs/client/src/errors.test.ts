import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AtelierApiError, AtelierNetworkError, parseApiError } from './errors.js';

describe('API error parsing', () => {
  it('keeps code, message and field details of the API error shape', () => {
    const body = JSON.stringify({
      error: { code: 'validation_failed', message: 'img_width: must be a multiple of 8', details: [{ field: 'img_width', message: 'must be a multiple of 8' }] },
    });
    const error = parseApiError(400, body, 'POST /v1/generations');
    assert.ok(error instanceof AtelierApiError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_failed');
    assert.equal(error.message, 'img_width: must be a multiple of 8');
    assert.deepEqual(error.details, [{ field: 'img_width', message: 'must be a multiple of 8' }]);
    assert.equal(error.request, 'POST /v1/generations');
  });

  it('takes an error without details', () => {
    const error = parseApiError(404, '{"error":{"code":"not_found","message":"generation gen_x does not exist"}}');
    assert.equal(error.code, 'not_found');
    assert.deepEqual(error.details, []);
  });

  it('still says something useful about a body that is not the API shape', () => {
    const html = parseApiError(502, '<html><body>\n  Bad gateway </body></html>', 'GET /v1/models', 'Bad Gateway');
    assert.equal(html.code, 'http_502');
    assert.equal(html.message, 'HTTP 502 Bad Gateway: <html><body> Bad gateway </body></html>');
    const empty = parseApiError(500, '');
    assert.equal(empty.message, 'HTTP 500');
    const otherJson = parseApiError(418, '{"message":"teapot"}');
    assert.equal(otherJson.code, 'http_418');
    assert.match(otherJson.message, /teapot/);
  });

  it('names the socket error behind a failed fetch', () => {
    const socketError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new AtelierNetworkError('GET /healthz', 3, { cause: new TypeError('fetch failed', { cause: socketError }) });
    assert.equal(error.message, 'GET /healthz: no response after 3 attempts: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1)');
  });
});
