/**
 * Speed contract of the ControlNet path: residuals go from the ControlNet's output tensors to
 * the UNet as ONNX Runtime tensors, reused every step (no per-step arrays); zero residuals
 * outside the windows are made once.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool, type SessionLease } from '../runtime/session-pool.js';
import { StableDiffusionPipeline } from '../pipeline/stable-diffusion.js';

interface Call {
  readonly feeds: Record<string, ort.Tensor>;
  readonly fetches: unknown;
  outputs?: Record<string, ort.Tensor>;
}

type Run = (...args: unknown[]) => Promise<Record<string, ort.Tensor>>;

/** Records the tensor objects (not copies) each run of a pooled session got and gave. */
async function captureRuns(pool: SessionPool, file: string): Promise<{ calls: Call[]; restore: () => void }> {
  const lease: SessionLease = await pool.acquire(file);
  const session = lease.session;
  const original = session.run as unknown as Run;
  const calls: Call[] = [];
  const wrapped: Run = async (...args) => {
    const call: Call = { feeds: { ...(args[0] as Record<string, ort.Tensor>) }, fetches: args[1] };
    calls.push(call);
    call.outputs = await original.apply(session, args);
    return call.outputs;
  };
  (session as unknown as { run: Run }).run = wrapped;
  return {
    calls,
    restore: () => {
      Reflect.deleteProperty(session, 'run');
      lease.release();
    },
  };
}

const RESIDUAL = 'down_block_0_additional_residual';

describe('ControlNet residuals stay ONNX Runtime tensors', () => {
  const root = sharedFixture('controlnet-tiny-onnx');
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let model: LoadedModel;
  let canny: Uint8Array;
  let depth: Uint8Array;
  const base = { prompt: 'a cat', negativePrompt: '', steps: 6, guidanceScale: 7.5, width: 64, height: 64, seeds: [1], scheduler: 'DDIMScheduler' } as const;

  before(async () => {
    model = await LoadedModel.open(await readModelFolder(path.join(root, 'model')));
    canny = new Uint8Array(await readFile(path.join(root, 'reference', 'canny_64x64.png')));
    depth = new Uint8Array(await readFile(path.join(root, 'reference', 'depth_64x64.png')));
  });
  after(() => pool.close());

  it('one net: the UNet gets the very tensors the ControlNet writes into, every step', async () => {
    const unet = await captureRuns(pool, model.folder.components.controlnetUnet as string);
    const net = await captureRuns(pool, path.join(root, 'controlnets', 'canny', 'model.onnx'));
    try {
      await pipeline.generate(model, { ...base, controlnets: [{ model: path.join(root, 'controlnets', 'canny'), image: canny }] });
      assert.equal(unet.calls.length, 6);
      assert.equal(net.calls.length, 6);
      const written = net.calls[0].outputs?.[RESIDUAL];
      assert.ok(written);
      for (const [step, call] of unet.calls.entries()) assert.equal(call.feeds[RESIDUAL], written, `step ${step}: the UNet got another tensor`);
      // After the first run the net writes into its own first outputs (preallocated fetches).
      for (const call of net.calls.slice(1)) assert.equal((call.fetches as Record<string, ort.Tensor>)[RESIDUAL], written);
    } finally {
      unet.restore();
      net.restore();
    }
  });

  it('two nets: one accumulator tensor for the whole loop; zeros outside every window made once', async () => {
    const unet = await captureRuns(pool, model.folder.components.controlnetUnet as string);
    try {
      await pipeline.generate(model, {
        ...base,
        controlnets: [
          { model: path.join(root, 'controlnets', 'canny'), image: canny, guidanceStart: 0.5 },
          { model: path.join(root, 'controlnets', 'depth'), image: depth, conditioningScale: 0.5, guidanceStart: 0.5 },
        ],
      });
      const fed = unet.calls.map((call) => call.feeds[RESIDUAL]);
      const [zeros, , , summed] = fed;
      assert.notEqual(zeros, summed);
      assert.deepEqual(fed, [zeros, zeros, zeros, summed, summed, summed], 'steps 0-2 outside both windows, 3-5 inside');
      assert.ok((zeros.data as Float32Array).every((value) => value === 0));
      assert.ok((summed.data as Float32Array).some((value) => value !== 0));
    } finally {
      unet.restore();
    }
  });
});
