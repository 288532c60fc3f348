import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queuedJobVerdict, type QueuedJobFacts } from './queued-job-verdict.js';

const base: QueuedJobFacts = { now: 100_000, createdAt: 90_000, deadlineMs: 60_000, capable: true, unservableSince: undefined, unservableTimeoutMs: 1_500 };

describe('queuedJobVerdict', () => {
  it('a job some known class can run waits, however long no worker is live, until its deadline', () => {
    assert.equal(queuedJobVerdict(base), 'wait');
    assert.equal(queuedJobVerdict({ ...base, now: base.createdAt + 59_999 }), 'wait');
    assert.equal(queuedJobVerdict({ ...base, now: base.createdAt + 60_000 }), 'deadline_exceeded');
  });

  it('a job no known class can run fails no_capable_worker after UNSERVABLE_JOB_TIMEOUT_MS', () => {
    assert.equal(queuedJobVerdict({ ...base, capable: false, unservableSince: base.now - 1_499 }), 'wait');
    assert.equal(queuedJobVerdict({ ...base, capable: false, unservableSince: base.now - 1_500 }), 'no_capable_worker');
  });

  it('the deadline wins over unservability', () => {
    assert.equal(queuedJobVerdict({ ...base, capable: false, unservableSince: base.now - 10_000, now: base.createdAt + 60_000 }), 'deadline_exceeded');
  });
});
