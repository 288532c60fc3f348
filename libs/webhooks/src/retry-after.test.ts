import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from './retry-after.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('120', NOW), 120);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
  });

  it('reads an HTTP-date relative to now, rounding up, and clamps past dates to 0', () => {
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 12:01:30 GMT', NOW), 90);
    assert.equal(parseRetryAfter('Sunday, 01-Mar-26 12:00:10 GMT', NOW), 10);
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW), 0);
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 12:00:00 GMT', new Date(NOW.getTime() - 1)), 1);
  });

  it('returns undefined for absent or unparseable values', () => {
    for (const value of [undefined, '', '-5', '1.5', '2026-03-01T12:01:00Z', 'soon', 'Sun, 99 Foo 2026', '9'.repeat(20)]) {
      assert.equal(parseRetryAfter(value, NOW), undefined, String(value));
    }
  });
});
