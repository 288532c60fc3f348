import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { attr } from './attributes.js';
import { GraphBuilder } from './graph-builder.js';
import { onnx } from './onnx-proto.js';
import { Ops } from './ops.js';
import { float32Literal, tensorLiteral } from './tensor-literal.js';
import { float32Output, runModel } from './testing/run-model.js';

const f32 = (data: readonly number[], dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(data), dims);

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('Add broadcasts an initializer over a symbolic batch dimension', async () => {
  const g = new GraphBuilder({ name: 'add' });
  const x = g.input('x', 'float32', ['batch', 3]);
  const bias = g.initializer(float32Literal([10, 20, 30]), 'bias');
  g.output('y', 'float32', ['batch', 3], new Ops(g).add(x, bias));
  const bytes = g.encode().model;

  const session = await ort.InferenceSession.create(bytes);
  try {
    assert.deepEqual(session.inputNames, ['x']);
    assert.deepEqual(session.outputNames, ['y']);
    const input = session.inputMetadata[0];
    assert.ok(input.isTensor);
    assert.equal(input.type, 'float32');
    assert.deepEqual(input.shape, ['batch', 3]);
  } finally {
    await session.release();
  }
  for (const batch of [1, 2]) {
    const data = Array.from({ length: batch * 3 }, (_, i) => i);
    const out = float32Output(await runModel(bytes, { x: f32(data, [batch, 3]) }), 'y');
    assertClose(out, data.map((v, i) => v + [10, 20, 30][i % 3]));
  }
});

test('MatMul multiplies by a constant matrix', async () => {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.initializer(float32Literal([1, 2, 3, 4, 5, 6], [3, 2]), 'w');
  g.output('y', 'float32', [2, 2], ops.matMul(x, w));
  const out = await runModel(g.encode().model, { x: f32([1, 0, -1, 2, 1, 0], [2, 3]) });
  assert.deepEqual(out.y.dims, [2, 2]);
  assertClose(float32Output(out, 'y'), [1 - 5, 2 - 6, 2 + 3, 4 + 4]);
});

test('Gather looks up embedding rows with int64 and int32 indices', async () => {
  for (const indexType of ['int64', 'int32'] as const) {
    const g = new GraphBuilder();
    const table = g.initializer(float32Literal([0, 0, 1, 10, 2, 20, 3, 30, 4, 40], [5, 2]), 'table');
    const ids = g.input('ids', indexType, ['n']);
    g.output('rows', 'float32', ['n', 2], new Ops(g).gather(table, ids));
    const indices = [4, 1, 1];
    const tensor =
      indexType === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(indices.map(BigInt)), [3])
        : new ort.Tensor('int32', Int32Array.from(indices), [3]);
    const out = await runModel(g.encode().model, { ids: tensor });
    assertClose(float32Output(out, 'rows'), [4, 40, 1, 10, 1, 10]);
  }
});

test('Resize upsamples bilinearly with half_pixel coordinates', async () => {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const x = g.input('x', 'float32', [1, 1, 'h', 'w']);
  const y = ops.resize(x, [1, 1, 2, 2], { mode: 'linear', coordinateTransformationMode: 'half_pixel' });
  g.output('y', 'float32', [1, 1, 'h2', 'w2'], y);
  const out = await runModel(g.encode().model, { x: f32([0, 1, 2, 3], [1, 1, 2, 2]) });
  assert.deepEqual(out.y.dims, [1, 1, 4, 4]);
  // Source coordinates (o + 0.5) / 2 - 0.5, clamped at the border: 0, 0.25, 0.75, 1.
  const along = [0, 0.25, 0.75, 1];
  assertClose(float32Output(out, 'y'), along.flatMap((r) => along.map((c) => 2 * r + c)));
});

test('typed attributes of every kind reach the runtime', async () => {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const x = g.input('x', 'float32', [2, 3]);
  const [floats] = g.node('Constant', [], { value_floats: attr.floats([0.5, 1.5, 2.5]) });
  const [ints] = g.node('Constant', [], { value_ints: attr.ints([2, 3]) });
  const leaky = g.node('LeakyRelu', [x], { alpha: attr.float(0.25) })[0];
  const transposed = ops.transpose(ops.add(leaky, floats), [1, 0]);
  const filled = ops.constantOfShape(ints, 7);
  const [tensorConst] = g.node('Constant', [], { value: attr.tensor(tensorLiteral({ type: 'int32', data: Int32Array.of(4) }, [])) });
  g.output('t', 'float32', [3, 2], transposed);
  g.output('filled', 'float32', [2, 3], filled);
  g.output('as_float', 'float32', [], ops.cast(tensorConst, 'float32'));
  const out = await runModel(g.encode().model, { x: f32([-4, 0, 4, 8, -8, 1], [2, 3]) });
  // leaky = [-1, 0, 4, 8, -2, 1] + [0.5, 1.5, 2.5] per row, then transposed.
  assertClose(float32Output(out, 't'), [-0.5, 8.5, 1.5, -0.5, 6.5, 3.5]);
  assertClose(float32Output(out, 'filled'), [7, 7, 7, 7, 7, 7]);
  assert.deepEqual(out.as_float.dims, []);
  assertClose(float32Output(out, 'as_float'), [4]);
});

test('a rank-0 input is declared with an empty, not a missing, shape', async () => {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const t = g.input('t', 'float32', []);
  g.output('doubled', 'float32', [], ops.mul(t, ops.scalar(2)));
  const bytes = g.encode().model;
  const decoded = onnx.ModelProto.decode(bytes);
  assert.equal(Number(decoded.irVersion), 8);
  assert.equal(Number(decoded.opsetImport[0].version), 17);
  const shape = decoded.graph?.input?.[0].type?.tensorType?.shape;
  assert.ok(shape, 'the shape field is present');
  assert.equal(shape.dim?.length ?? 0, 0);
  const out = await runModel(bytes, { t: new ort.Tensor('float32', Float32Array.of(21), []) });
  assertClose(float32Output(out, 'doubled'), [42]);
});

test('names are made unique and wiring mistakes are caught early', () => {
  const g = new GraphBuilder({ name: 'names' });
  assert.equal(g.uniqueName('v'), 'v');
  assert.equal(g.uniqueName('v'), 'v_1');
  assert.equal(g.uniqueName('v'), 'v_2');
  const ops = new Ops(g);
  assert.equal(ops.scalar(1), ops.scalar(1), 'equal small constants are shared');
  assert.notEqual(ops.scalar(1), ops.scalar(2));
  const x = g.input('x', 'float32', [1]);
  assert.throws(() => g.input('x', 'float32', [1]), /already used/);
  assert.throws(() => ops.add(x, 'missing'), /not produced/);
  g.output('never', 'float32', [1]);
  assert.throws(() => g.encode(), /never produced/);
});
