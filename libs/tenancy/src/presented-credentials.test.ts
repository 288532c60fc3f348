import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerToken, parseAuthorization, presentedKeys, secretsEqual } from './presented-credentials.js';

describe('presented credentials', () => {
  it('reads the Authorization scheme case-insensitively (RFC 9110)', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) assert.equal(bearerToken(`${scheme} k1`), 'k1', scheme);
    assert.deepEqual(parseAuthorization('  Basic   dTpw  '), { scheme: 'basic', credentials: 'dTpw' });
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'k1', ' ']) assert.equal(bearerToken(header), undefined, JSON.stringify(header));
  });

  it('offers basic-auth password and user name only where basic is allowed, then X-API-Key', () => {
    const basic = `basic ${Buffer.from('user:k2').toString('base64')}`;
    assert.deepEqual(presentedKeys(basic, 'k3', { basic: true }), ['k2', 'user', 'k3']);
    assert.deepEqual(presentedKeys(basic, 'k3', { basic: false }), ['k3']);
    assert.deepEqual(presentedKeys(`BASIC ${Buffer.from('k4').toString('base64')}`, undefined, { basic: true }), ['k4']);
    assert.deepEqual(presentedKeys('Basic !!!', undefined, { basic: true }), []);
    assert.deepEqual(presentedKeys('bearer k5', ' k6 ', { basic: false }), ['k5', 'k6']);
  });

  it('compares secrets of any lengths without throwing', () => {
    assert.equal(secretsEqual('abc', 'abc'), true);
    assert.equal(secretsEqual('abc', 'abcd'), false);
    assert.equal(secretsEqual('', 'abc'), false);
  });
});
