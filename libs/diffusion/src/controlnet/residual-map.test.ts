import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as ort from 'onnxruntime-node';
import { ControlNetSource } from './controlnet-source.js';
import { ControlNetError } from './errors.js';
import { linkResiduals, unetResidualInputs } from './residual-map.js';

/** Only the names matter to the linking (pure logic: a name-only stand-in for a session). */
const session = (inputNames: string[], outputNames: string[]): ort.InferenceSession => ({ inputNames, outputNames }) as unknown as ort.InferenceSession;
const UNET = session(['sample', 'timestep', 'encoder_hidden_states', 'down_block_0_additional_residual', 'down_block_1_additional_residual', 'mid_block_additional_residual'], ['out_sample']);

describe('ControlNet residual linking', () => {
  it('takes the UNet inputs ending in _additional_residual, in declared order', () => {
    assert.deepEqual(unetResidualInputs(UNET), ['down_block_0_additional_residual', 'down_block_1_additional_residual', 'mid_block_additional_residual']);
  });

  it('links by name whatever the output order, with the guess-mode factors of diffusers', () => {
    const net = session([], ['mid_block_additional_residual', 'down_block_1_additional_residual', 'down_block_0_additional_residual']);
    const links = linkResiduals(net, unetResidualInputs(UNET), 'controlnets[0].model');
    assert.deepEqual(links.map((link) => link.output), ['down_block_0_additional_residual', 'down_block_1_additional_residual', 'mid_block_additional_residual']);
    // torch.logspace(-1, 0, N + 1) with N = 2 downs: 0.1, 10^-0.5, 1 (mid).
    assert.deepEqual(links.map((link) => link.guessFactor), [Math.fround(0.1), Math.fround(10 ** -0.5), 1]);
  });

  it('falls back to output order when the names differ, and refuses a count mismatch', () => {
    const net = session([], ['down_0', 'down_1', 'mid']);
    assert.deepEqual(linkResiduals(net, unetResidualInputs(UNET), 'f').map((link) => `${link.output}->${link.input}`), [
      'down_0->down_block_0_additional_residual',
      'down_1->down_block_1_additional_residual',
      'mid->mid_block_additional_residual',
    ]);
    assert.throws(() => linkResiduals(session([], ['a', 'b']), unetResidualInputs(UNET), 'controlnets[2].model'), (error: unknown) => {
      assert.ok(error instanceof ControlNetError);
      assert.equal(error.code, 'controlnet_residual_mismatch');
      assert.equal(error.field, 'controlnets[2].model');
      return true;
    });
  });

  it('keeps a net in its window exactly as diffusers does (i/len < start or (i+1)/len > end drops it)', () => {
    const flags = (start: number, end: number, total: number): number[] => Array.from({ length: total }, (_, index) => (ControlNetSource.inWindow({ start, end }, index, total) ? 1 : 0));
    assert.deepEqual(flags(0.2, 0.8, 12), [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    assert.deepEqual(flags(0, 1, 4), [1, 1, 1, 1]);
    assert.deepEqual(flags(0, 0.5, 4), [1, 1, 0, 0]);
  });
});
