import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './graph-builder.js';
import { onnx } from './onnx-proto.js';
import { Ops } from './ops.js';
import { saveModel } from './save-model.js';
import { float32Literal } from './tensor-literal.js';
import { float32Output, runModel } from './testing/run-model.js';

test('large initializers go to model.onnx_data with location/offset/length entries', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'onnx-graph-external-'));
  try {
    const g = new GraphBuilder();
    const ops = new Ops(g);
    const n = 3000;
    const big = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const bigger = Float32Array.from({ length: n }, (_, i) => i / 7);
    const x = g.input('x', 'float32', [n]);
    const a = g.initializer(float32Literal(big), 'big');
    const b = g.initializer(float32Literal(bigger), 'bigger');
    const small = g.initializer(float32Literal([2]), 'small');
    g.output('y', 'float32', [n], ops.mul(ops.add(ops.add(x, a), b), small));

    const saved = await saveModel(g, join(dir, 'model.onnx'), { externalData: {} });
    assert.equal(saved.externalDataPath, join(dir, 'model.onnx_data'));

    const proto = onnx.ModelProto.decode(await readFile(saved.modelPath));
    const entries = new Map(
      (proto.graph?.initializer ?? []).map((t) => [t.name, Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]))]),
    );
    assert.deepEqual(entries.get('big'), { location: 'model.onnx_data', offset: '0', length: String(4 * n) });
    assert.deepEqual(entries.get('bigger'), { location: 'model.onnx_data', offset: '12288', length: String(4 * n) });
    assert.deepEqual(entries.get('small'), {}, 'small tensors stay inline');
    assert.equal((await stat(saved.externalDataPath ?? '')).size, 12288 + 4 * n);

    const input = Float32Array.from({ length: n }, (_, i) => i % 5);
    const out = float32Output(await runModel(saved.modelPath, { x: new ort.Tensor('float32', input, [n]) }), 'y');
    for (const i of [0, 1, 1234, n - 1]) {
      const expected = Math.fround(Math.fround(Math.fround(input[i] + big[i]) + bigger[i]) * 2);
      assert.equal(out[i], expected);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a model with nothing above the threshold writes no data file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'onnx-graph-inline-'));
  try {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1]);
    g.output('y', 'float32', [1], new Ops(g).add(x, g.initializer(float32Literal([1]))));
    const saved = await saveModel(g, join(dir, 'model.onnx'), { externalData: { thresholdBytes: 1024 } });
    assert.equal(saved.externalDataPath, null);
    await assert.rejects(stat(join(dir, 'model.onnx_data')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
