import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RETRY_POLICY, backoffDelay, decideRetry, parseRetryAfter } from './retry-policy.js';

const policy = { ...DEFAULT_RETRY_POLICY, maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 30_000 };
const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('retry policy', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3', NOW), 3_000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter('1.5', NOW), 1_500);
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 12:00:07 GMT', NOW), 7_000);
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter(null, NOW), undefined);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter('', NOW), undefined);
  });

  it('retries 429 and 503 only, never other statuses', () => {
    for (const status of [429, 503]) assert.equal(decideRetry(policy, { kind: 'response', status }, 0, NOW, () => 0.5).retry, true, String(status));
    for (const status of [400, 401, 404, 409, 500, 502]) assert.equal(decideRetry(policy, { kind: 'response', status }, 0, NOW).retry, false, String(status));
  });

  it('retries a 409 that carries Retry-After (the same Idempotency-Key still in progress)', () => {
    assert.deepEqual(decideRetry(policy, { kind: 'response', status: 409, retryAfter: '1' }, 0, NOW), { retry: true, delayMs: 1_000 });
    assert.equal(decideRetry(policy, { kind: 'response', status: 409, retryAfter: null }, 0, NOW).retry, false);
  });

  it('waits what Retry-After says rather than its own backoff', () => {
    assert.deepEqual(decideRetry(policy, { kind: 'response', status: 429, retryAfter: '2' }, 0, NOW), { retry: true, delayMs: 2_000 });
    assert.deepEqual(decideRetry(policy, { kind: 'response', status: 503, retryAfter: 'Sun, 01 Mar 2026 12:00:05 GMT' }, 2, NOW), { retry: true, delayMs: 5_000 });
  });

  it('gives up instead of waiting out a Retry-After beyond its limit', () => {
    const decision = decideRetry(policy, { kind: 'response', status: 429, retryAfter: '3600' }, 0, NOW);
    assert.equal(decision.retry, false);
    assert.match(decision.retry ? '' : decision.reason, /Retry-After 3600 s exceeds 30 s/);
  });

  it('retries network errors a bounded number of times', () => {
    const decisions = [0, 1, 2, 3].map((retry) => decideRetry(policy, { kind: 'network-error' }, retry, NOW, () => 1).retry);
    assert.deepEqual(decisions, [true, true, true, false]);
  });

  it('backs off exponentially with jitter inside [ceiling/2, ceiling], capped', () => {
    assert.equal(backoffDelay(policy, 0, () => 0), 50);
    assert.equal(backoffDelay(policy, 0, () => 1), 100);
    assert.equal(backoffDelay(policy, 2, () => 1), 400);
    assert.equal(backoffDelay(policy, 10, () => 1), 1_000);
    for (let retry = 0; retry < 6; retry++) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
      const delay = backoffDelay(policy, retry);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${delay} within [${ceiling / 2}, ${ceiling}]`);
    }
  });
});
