/**
 * Noise drawn ahead on the noise thread is createNoise's stream, value for value, whatever the
 * thread was doing when a step asked: chunk ready, in progress, not started (taken back), thread
 * stopped or switched off. Nothing here is timed: the states are reached by awaiting the thread
 * (drawnAhead) or by asking again at once, and every value is compared bit for bit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { BatchedNoise } from '../pipeline/batched-noise.js';
import { createNoise } from './noise.js';
import { setNoiseThreadEnabled, stopNoiseThread } from './noise-thread.js';
import { PrefetchedNoise } from './prefetched-noise.js';

const LATENT = 4 * 64 * 64;

function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${what}: value ${i} is ${actual[i]}, expected ${expected[i]}`);
}

describe('noise drawn ahead on the noise thread', () => {
  after(async () => {
    setNoiseThreadEnabled(true);
    await stopNoiseThread();
  });

  it('serves the next step from the chunk drawn while the step was away, with the stream’s own values', async () => {
    const reference = createNoise(11);
    const noise = new PrefetchedNoise(11);
    for (let step = 0; step < 6; step++) {
      assertSameBits(noise.randn(LATENT), reference.randn(LATENT), `step ${step}`);
      await noise.drawnAhead();
    }
    // The first draw has nothing ahead; each later one found its chunk complete.
    assert.equal(noise.stats.ready, 5);
    assert.equal(noise.stats.drawnInline + noise.stats.waited, 0);
    noise.close();
  });

  it('gives the same values when asked at once (chunk not started or in progress) and for odd, smaller and larger requests', async () => {
    const sizes = [LATENT, LATENT, 3, LATENT, 1, LATENT + 1, 0, 2 * LATENT + 5, 7, LATENT, LATENT];
    for (const seed of [0, 1, 4294967295]) {
      const reference = createNoise(seed);
      const noise = new PrefetchedNoise(seed);
      for (const [index, size] of sizes.entries()) {
        assertSameBits(noise.randn(size), reference.randn(size), `seed ${seed}, request ${index} of ${size}`);
        if (index % 3 === 2) await noise.drawnAhead();
      }
      const { requested, ready, waited, drawnInline } = noise.stats;
      assert.ok(ready + waited + drawnInline <= requested, JSON.stringify(noise.stats));
      noise.close();
    }
  });

  it('keeps the stream when the thread is stopped mid-run, switched off, or back on', async () => {
    const reference = createNoise(5);
    const noise = new PrefetchedNoise(5);
    assertSameBits(noise.randn(LATENT), reference.randn(LATENT), 'first');
    // A chunk asked for and then the thread gone: it is drawn here from the untouched state.
    await stopNoiseThread();
    assertSameBits(noise.randn(LATENT), reference.randn(LATENT), 'after stop');
    await noise.drawnAhead();
    assertSameBits(noise.randn(LATENT), reference.randn(LATENT), 'from a new thread');
    setNoiseThreadEnabled(false);
    const before = noise.stats.requested;
    for (let step = 0; step < 3; step++) assertSameBits(noise.randn(LATENT), reference.randn(LATENT), `off, step ${step}`);
    assert.ok(noise.stats.requested <= before + 1, 'nothing more is asked of a thread that is off');
    setNoiseThreadEnabled(true);
    assertSameBits(noise.randn(LATENT), reference.randn(LATENT), 'back on');
    await noise.drawnAhead();
    assertSameBits(noise.randn(LATENT), reference.randn(LATENT), 'back on, drawn ahead');
    noise.close();
    // A closed stream still gives its values (drawn here), it just stops drawing ahead.
    assertSameBits(noise.randn(9), reference.randn(9), 'closed');
  });

  it('a batch draws ahead per image: image k gets its own seed’s values, as without drawing ahead', async () => {
    const seeds = [21, 22, 23];
    const plain = new BatchedNoise(seeds);
    const ahead = new BatchedNoise(seeds, { prefetch: true });
    assertSameBits(ahead.randn(seeds.length * LATENT), plain.randn(seeds.length * LATENT), 'initial latents');
    const out = new Float32Array(seeds.length * LATENT);
    const expected = new Float32Array(seeds.length * LATENT);
    for (let step = 0; step < 4; step++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      ahead.randnInto(out);
      plain.randnInto(expected);
      assertSameBits(out, expected, `step ${step}`);
    }
    const alone = createNoise(22);
    alone.randn(LATENT * 5);
    ahead.randnInto(out);
    assertSameBits(out.subarray(LATENT, 2 * LATENT), alone.randn(LATENT), 'image 1 is seed 22 alone');
    assert.equal(ahead.prefetchStats().requested, seeds.length * 6);
    ahead.close();
    assert.deepEqual(plain.prefetchStats(), { requested: 0, ready: 0, waited: 0, waitedMs: 0, drawnInline: 0 });
  });

  it('never keeps a process alive: it exits with a chunk in flight and no close', async () => {
    const module = new URL('./prefetched-noise.js', import.meta.url).href;
    const script = `
      const { PrefetchedNoise } = await import(${JSON.stringify(module)});
      const noise = new PrefetchedNoise(3);
      noise.randn(${16 * LATENT});
      noise.randn(${16 * LATENT});
      console.log('drawn');
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    assert.equal(stdout.trim(), 'drawn');
  });
});
