/** The pipeline phase of `npm run bench` at smoke scale, so it cannot silently break. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchPipeline } from './pipeline-bench.js';

test('pipeline bench, smoke scale: one row per scheduler with inside and outside session.run figures, and host CPU figures', async () => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'atelier-bench-smoke-'));
  try {
    const { steps: rows, host } = await benchPipeline(cacheDir, { scale: 'smoke' });
    assert.deepEqual(
      rows.map((row) => row.scheduler),
      ['euler', 'unipc'],
    );
    for (const row of rows) {
      assert.equal(row.model, 'demo-sd15');
      assert.equal(row.steps, 2);
      assert.ok(Number.isFinite(row.insideMs) && row.insideMs > 0, `inside ${row.insideMs}`);
      assert.ok(Number.isFinite(row.outsideMs) && row.outsideMs >= 0, `outside ${row.outsideMs}`);
    }
    assert.deepEqual(
      host.map((row) => row.scheduler),
      ['euler', 'unipc'],
    );
    for (const row of host) assert.ok(Number.isFinite(row.cpuMs) && row.cpuMs >= 0, `host ${row.cpuMs}`);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
