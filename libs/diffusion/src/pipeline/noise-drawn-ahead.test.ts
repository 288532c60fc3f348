/**
 * Through the real pipeline: drawing the noise-drawing samplers' per-step noise ahead on the noise
 * thread changes no pixel, and every run (finished, canceled, failed) closes its streams. Runs on
 * the sd2-tiny fixture (random weights), whose pictures depend strongly on the noise.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { setNoiseThreadEnabled, stopNoiseThread } from '../random/noise-thread.js';
import { openPrefetchedStreams } from '../random/prefetched-noise.js';
import { SessionPool } from '../runtime/session-pool.js';
import { SCHEDULERS } from '../schedulers/index.js';
import { GenerationCanceledError, UnsupportedRequestError } from './errors.js';
import { StableDiffusionPipeline, type GenerationParams, type GenerationResult } from './stable-diffusion.js';

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('per-step noise drawn ahead on the noise thread', () => {
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let model: LoadedModel;
  const base = { prompt: 'a red circle on a blue background', negativePrompt: 'blurry', steps: 4, guidanceScale: 5, width: 64, height: 64, seeds: [7, 8] } as const;
  const generate = (params: Partial<GenerationParams>, signal?: AbortSignal, onStep?: (step: number) => void): Promise<GenerationResult> =>
    pipeline.generate(model, { ...base, ...params }, { signal, onStep });

  before(async () => {
    model = await LoadedModel.open(await readModelFolder(sharedFixture(path.join('sd2-tiny-onnx', 'model')), 'sd2-tiny'));
  });
  after(async () => {
    setNoiseThreadEnabled(true);
    await pool.close();
    await stopNoiseThread();
  });

  it('every noise-drawing sampler gives the same pixels, bit for bit, with the thread on and off', async () => {
    const stochastic = SCHEDULERS.filter((definition) => !definition.deterministic);
    assert.equal(stochastic.length, 7);
    for (const definition of stochastic) {
      const steps = definition.id === 'lcm' ? 4 : base.steps;
      const ahead = await generate({ scheduler: definition.id, steps });
      setNoiseThreadEnabled(false);
      let inline: GenerationResult;
      try {
        inline = await generate({ scheduler: definition.id, steps });
      } finally {
        setNoiseThreadEnabled(true);
      }
      for (const [k, image] of ahead.images.entries()) assert.ok(sameBits(image.pixels, inline.images[k].pixels), `${definition.id}, image ${k}`);
      // The thread was asked for every step's chunk, and the thread-off run asked nothing of it.
      assert.ok(ahead.stats.noiseAhead.requested > 0, `${definition.id}: ${JSON.stringify(ahead.stats.noiseAhead)}`);
      assert.equal(inline.stats.noiseAhead.requested, 0);
    }
    // Deterministic samplers never use it.
    const euler = await generate({ scheduler: 'euler' });
    assert.equal(euler.stats.noiseAhead.requested, 0);
    assert.equal(openPrefetchedStreams(), 0);
  });

  it('a canceled run and a failed run close their streams', async () => {
    const controller = new AbortController();
    await assert.rejects(
      generate({ scheduler: 'euler-a', steps: 6 }, controller.signal, (step) => {
        if (step === 2) controller.abort('test');
      }),
      GenerationCanceledError,
    );
    assert.equal(openPrefetchedStreams(), 0);
    await assert.rejects(generate({ scheduler: 'dpmpp-sde', latents: new Float32Array(3) }), UnsupportedRequestError);
    assert.equal(openPrefetchedStreams(), 0);
  });
});
