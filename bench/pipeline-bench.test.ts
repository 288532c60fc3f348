/** The pipeline phase of `npm run bench` at smoke scale, so it cannot silently break. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchPipeline } from './pipeline-bench.js';

test('pipeline bench, smoke scale: one row per scheduler with inside and outside session.run figures, host CPU figures, and noise thread off/on figures', async () => {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'atelier-bench-smoke-'));
  try {
    const { steps: rows, host, noiseThread, offCpu } = await benchPipeline(cacheDir, { scale: 'smoke' });
    assert.deepEqual(
      rows.map((row) => row.scheduler),
      ['euler', 'unipc', 'euler-a'],
    );
    for (const row of rows) {
      assert.equal(row.model, 'demo-sd15');
      assert.equal(row.steps, 2);
      assert.ok(Number.isFinite(row.insideMs) && row.insideMs > 0, `inside ${row.insideMs}`);
      assert.ok(Number.isFinite(row.outsideMs) && row.outsideMs >= 0, `outside ${row.outsideMs}`);
      assert.ok(Number.isFinite(row.wallMs) && row.wallMs >= row.insideMs, `wall ${row.wallMs}`);
      // Only the noise-drawing sampler asks the noise thread for anything; every chunk it asked for is accounted for.
      const { requested, ready, waited, drawnInline } = row.noise;
      if (row.scheduler === 'euler-a') assert.ok(requested > 0 && ready + waited + drawnInline <= requested, JSON.stringify(row.noise));
      else assert.equal(requested, 0);
    }
    assert.deepEqual(
      noiseThread.map((row) => row.scheduler),
      ['euler-a'],
    );
    for (const row of noiseThread) {
      for (const figure of [row.off.outsideMs, row.on.outsideMs, row.off.wallMs, row.on.wallMs]) assert.ok(Number.isFinite(figure) && figure >= 0, JSON.stringify(row));
    }
    assert.deepEqual(
      host.map((row) => row.scheduler),
      ['euler', 'unipc', 'euler-a'],
    );
    for (const row of host) assert.ok(Number.isFinite(row.cpuMs) && row.cpuMs >= 0, `host ${row.cpuMs}`);
    // Around the GPU stand-in: every noise-drawing sampler, both modes measured, the thread asked for chunks.
    assert.deepEqual(
      offCpu.map((row) => row.scheduler).sort(),
      ['ddpm', 'dpm2-a', 'dpmpp-2m-sde', 'dpmpp-2s-a', 'dpmpp-sde', 'euler-a', 'lcm'],
    );
    for (const row of offCpu) {
      assert.ok(Number.isFinite(row.offMs) && Number.isFinite(row.onMs) && row.offMs >= 0 && row.onMs >= 0, JSON.stringify(row));
      assert.ok(row.noise.requested > 0 && row.noise.ready + row.noise.waited + row.noise.drawnInline <= row.noise.requested, JSON.stringify(row.noise));
    }
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
