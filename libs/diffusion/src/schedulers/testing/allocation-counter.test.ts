import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../../random/noise.js';
import { parseSchedulerConfig } from '../config.js';
import { resolveScheduler } from '../registry.js';
import { countTypedArrayAllocations } from './allocation-counter.js';
import { GOLDEN_CONFIG_JSON } from './golden-config.js';
import { sample } from './exact-denoiser.js';

test('the allocation counter sees constructors, static factories and allocating methods, and restores them', async () => {
  const original = Float32Array;
  const { count, result } = await countTypedArrayAllocations(() => {
    const a = new Float32Array(4);
    const b = Float64Array.from([1, 2]);
    const c = a.slice();
    const d = a.map((x) => x + 1);
    const e = a.subarray(1);
    return [a, b, c, d, e];
  });
  assert.equal(count, 5);
  assert.ok(result[0] instanceof Float32Array && result[3] instanceof Float32Array);
  assert.equal(Float32Array, original);
  assert.equal((await countTypedArrayAllocations(() => new Float32Array(2).slice())).count, 2);
});

test('the allocating step path is caught: its count grows with the step count', async () => {
  const config = parseSchedulerConfig(GOLDEN_CONFIG_JSON);
  const counts: number[] = [];
  for (const steps of [5, 10]) {
    const scheduler = resolveScheduler('Euler').definition.create(config, { steps, noise: createNoise(1) });
    const start = createNoise(2).randn(64);
    const { count } = await countTypedArrayAllocations(() => sample(scheduler, start, (input) => input.map((x) => 0.5 * x)));
    counts.push(count);
  }
  assert.ok(counts[1] > counts[0], `counts ${counts.join(' vs ')}`);
});
