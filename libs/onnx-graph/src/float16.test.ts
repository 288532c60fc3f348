import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Bits, toFloat16Bits } from './float16.js';
import { GraphBuilder } from './graph-builder.js';
import { Ops } from './ops.js';
import { tensorLiteral } from './tensor-literal.js';
import { runModel } from './testing/run-model.js';

test('binary16 conversion rounds to nearest even and handles the edges', () => {
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(65520), 0x7c00, 'rounds up to infinity');
  assert.equal(float32ToFloat16Bits(2049), 0x6800, 'tie goes to even (2048)');
  assert.equal(float32ToFloat16Bits(2051), 0x6802, 'tie goes to even (2052)');
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001, 'smallest subnormal');
  assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000, 'underflows to zero');
  assert.equal(float32ToFloat16Bits(Number.POSITIVE_INFINITY), 0x7c00);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN))));
  for (const value of [0.5, 0.1, -3.75, 1000.25, 6.1e-5, 3e-6]) {
    const back = float16BitsToFloat32(float32ToFloat16Bits(value));
    assert.ok(Math.abs(back - value) <= Math.abs(value) * 2 ** -11 + 2 ** -25, `${value} -> ${back}`);
  }
  assert.deepEqual(Array.from(fromFloat16Bits(toFloat16Bits([0.25, -1, 3]))), [0.25, -1, 3]);
});

test('float16 inputs, initializers and outputs run through onnxruntime', async () => {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const x = g.input('x', 'float16', ['n']);
  const weight = g.initializer(tensorLiteral({ type: 'float16', data: toFloat16Bits([0.5, 2, -1]) }, [3]), 'weight');
  const product = ops.mul(x, weight);
  g.output('half', 'float16', ['n'], product);
  g.output('full', 'float32', ['n'], ops.cast(product, 'float32'));

  const input = new ort.Tensor('float16', toFloat16Bits([3, 1.5, 0.125]), [3]);
  const out = await runModel(g.encode().model, { x: input });
  assert.equal(out.half.type, 'float16');
  assert.ok(out.half.data instanceof Uint16Array);
  assert.deepEqual(Array.from(fromFloat16Bits(out.half.data)), [1.5, 3, -0.125]);
  assert.deepEqual(Array.from(out.full.data as Float32Array), [1.5, 3, -0.125]);
});
