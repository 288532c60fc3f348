import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFaceRestoreFlag, parseHiresFlag, parseMaskPoint, parseUpscaleFlag } from './chained-step-flags.js';
import { UsageError } from './usage-error.js';

describe('--upscale, --face-restore, --hires, --mask-point', () => {
  it('map key=value lists onto the request fields, numbers as numbers, only the keys given', () => {
    assert.deepEqual(parseUpscaleFlag('model=x4,scale=2'), { model: 'x4', scale: 2 });
    assert.deepEqual(parseUpscaleFlag('model=x4'), { model: 'x4' });
    assert.deepEqual(parseFaceRestoreFlag('default'), {});
    assert.deepEqual(parseFaceRestoreFlag('model=codeformer,fidelity=0.3'), { model: 'codeformer', fidelity: 0.3 });
    assert.deepEqual(parseHiresFlag('scale=1.5,upscaler=latent-nearest,strength=0.6,steps=10'), { scale: 1.5, upscaler: 'latent-nearest', strength: 0.6, steps: 10 });
    assert.deepEqual(parseMaskPoint('120,80'), { x: 120, y: 80, label: 'positive' });
    assert.deepEqual(parseMaskPoint('12.5, 8, negative'), { x: 12.5, y: 8, label: 'negative' });
  });

  it('refuses unknown keys, missing models, non-numbers and malformed points as usage errors', () => {
    for (const bad of [() => parseUpscaleFlag('scale=2'), () => parseUpscaleFlag('model=a,size=2'), () => parseHiresFlag('scale=big'), () => parseFaceRestoreFlag('model=a,model=b')]) {
      assert.throws(bad, UsageError);
    }
    for (const point of ['1', '1,y', '1,2,maybe', '1,2,negative,4', 'NaN,1']) assert.throws(() => parseMaskPoint(point), UsageError, point);
  });
});
