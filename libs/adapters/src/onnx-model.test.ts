import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { GraphBuilder } from '@atelier/onnx-graph';
import { onnx } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { toFloat16Bits } from '@atelier/onnx-graph';
import { OnnxModel } from './onnx-model.js';

function twoWeightModel(): Uint8Array {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const x = g.input('x', 'float32', [1, 2]);
  const a = g.initializer(float32Literal([1, 2, 3, 4], [2, 2]), 'a');
  const b = g.initializer(float32Literal([5, 6, 7, 8], [2, 2]), 'b');
  g.output('y', 'float32', [1, 2], ops.matMul(ops.matMul(x, a), b));
  return g.encode().model;
}

test('values stored in float_data, int32_data (float16) and external weights.pb without a length', async () => {
  const proto = onnx.ModelProto.decode(twoWeightModel());
  const [a, b] = proto.graph?.initializer ?? [];
  a.rawData = new Uint8Array(0);
  a.floatData = [1, 2, 3, 4];
  b.rawData = new Uint8Array(0);
  b.dataType = onnx.TensorProto.DataType.FLOAT16;
  b.int32Data = Array.from(toFloat16Bits([5, 6, 7, 0.5]));
  const inlineModel = OnnxModel.fromBytes(onnx.ModelProto.encode(proto).finish(), null);
  assert.deepEqual(await inlineModel.readFloat32('a'), Float32Array.of(1, 2, 3, 4));
  assert.deepEqual(await inlineModel.readFloat32('b'), Float32Array.of(5, 6, 7, 0.5));

  const dir = await mkdtemp(path.join(tmpdir(), 'atelier-onnx-model-'));
  try {
    const external = onnx.ModelProto.decode(twoWeightModel());
    const tensor = (external.graph?.initializer ?? [])[1];
    tensor.rawData = new Uint8Array(0);
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: 'location', value: 'weights.pb' },
      { key: 'offset', value: '8' },
    ];
    await writeFile(path.join(dir, 'weights.pb'), new Uint8Array([...new Uint8Array(8), ...new Uint8Array(Float32Array.of(9, 8, 7, 6).buffer)]));
    await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(external).finish());
    const model = await OnnxModel.load(path.join(dir, 'model.onnx'));
    assert.deepEqual(model.info('b').storage, { kind: 'external', location: 'weights.pb', offset: 8, length: -1 });
    assert.deepEqual(await model.readFloat32('b'), Float32Array.of(9, 8, 7, 6));
    assert.deepEqual(model.externalLocations(), ['weights.pb']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an external location leaving the model folder is refused', async () => {
  const proto = onnx.ModelProto.decode(twoWeightModel());
  const tensor = (proto.graph?.initializer ?? [])[0];
  tensor.rawData = new Uint8Array(0);
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [{ key: 'location', value: '../../etc/passwd' }];
  const model = OnnxModel.fromBytes(onnx.ModelProto.encode(proto).finish(), tmpdir());
  await assert.rejects(model.readFloat32('a'), /escapes the model folder/);
});
