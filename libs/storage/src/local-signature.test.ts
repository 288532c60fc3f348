import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signLocalObject, verifyLocalSignature } from './local-signature.js';

const SECRET = 'a-secret-of-sufficient-length';
const KEY = 'generations/g1/0.png';
const EXPIRES = 1_900_000_000;
const BEFORE_EXPIRY = new Date((EXPIRES - 10) * 1000);

describe('verifyLocalSignature', () => {
  const signature = signLocalObject(KEY, EXPIRES, SECRET);

  it('accepts its own signature before expiry, expires given as string or number', () => {
    assert.match(signature, /^[0-9a-f]{64}$/);
    assert.equal(verifyLocalSignature(KEY, String(EXPIRES), signature, SECRET, BEFORE_EXPIRY), true);
    assert.equal(verifyLocalSignature(KEY, EXPIRES, signature, SECRET, BEFORE_EXPIRY), true);
  });

  it('rejects at and after expiry', () => {
    assert.equal(verifyLocalSignature(KEY, EXPIRES, signature, SECRET, new Date(EXPIRES * 1000)), false);
    assert.equal(verifyLocalSignature(KEY, EXPIRES, signature, SECRET, new Date((EXPIRES + 1) * 1000)), false);
  });

  it('rejects another key, expiry or secret', () => {
    assert.equal(verifyLocalSignature('generations/g1/1.png', EXPIRES, signature, SECRET, BEFORE_EXPIRY), false);
    assert.equal(verifyLocalSignature(KEY, EXPIRES + 1, signature, SECRET, BEFORE_EXPIRY), false);
    assert.equal(verifyLocalSignature(KEY, EXPIRES, signature, `${SECRET}!`, BEFORE_EXPIRY), false);
  });

  it('cannot be replayed by moving digits between key and expiry', () => {
    const keyEndingInDigit = 'img1';
    const signed = signLocalObject(keyEndingInDigit, EXPIRES, SECRET);
    assert.equal(verifyLocalSignature('img', `1${EXPIRES}`, signed, SECRET, BEFORE_EXPIRY), false);
  });

  it('rejects malformed signatures and expiries without throwing', () => {
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    for (const bad of [flipped, '', signature.toUpperCase(), signature.slice(2), `${signature}00`, 'zz'.repeat(32)]) {
      assert.equal(verifyLocalSignature(KEY, EXPIRES, bad, SECRET, BEFORE_EXPIRY), false, bad);
    }
    for (const badExpiry of ['', '-1', '1e12', ' 1900000000', '1900000000.0', 'abc']) {
      assert.equal(verifyLocalSignature(KEY, badExpiry, signature, SECRET, BEFORE_EXPIRY), false, badExpiry);
    }
  });
});
