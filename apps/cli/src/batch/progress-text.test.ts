import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchProgressText, progressBar } from './progress-text.js';
import { Throughput } from './throughput.js';

describe('batch progress', () => {
  it('draws the bar in ASCII for logs and in blocks for terminals', () => {
    assert.equal(progressBar(0.5, 10, false), '[#####-----]');
    assert.equal(progressBar(1.7, 4, true), '[████]');
    assert.equal(progressBar(-1, 4, false), '[----]');
  });

  it('says done, failed, rate and ETA', () => {
    const text = batchProgressText({ total: 20, done: 9, failed: 1, running: 2, queued: 3, unsubmitted: 5, imagesPerMinute: 12, etaMs: 65_000 }, false);
    assert.equal(text, '[##########----------] 9/20 done, 1 failed, 2 running, 3 queued, 5 to submit | 12.0 images/min | ETA 1m05s');
    assert.match(batchProgressText({ total: 2, done: 0, failed: 0, running: 0, queued: 2, unsubmitted: 0 }, false), /- images\/min \| ETA -$/);
  });

  it('measures rate and ETA over the lines finished in this run', () => {
    const throughput = new Throughput(0);
    assert.equal(throughput.imagesPerMinute(1_000), undefined);
    assert.equal(throughput.etaMs(10, 1_000), undefined);
    throughput.record(2);
    throughput.record(2);
    assert.equal(throughput.imagesPerMinute(30_000), 8);
    assert.equal(throughput.etaMs(6, 30_000), 90_000, '15 s a line so far');
    assert.equal(throughput.etaMs(0, 30_000), 0);
  });
});
