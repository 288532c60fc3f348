import { attr, type Attributes } from './attributes.js';
import type { ElementType } from './element-type.js';
import type { GraphBuilder } from './graph-builder.js';
import { dataTypeOf, float32Literal, int64Literal, tensorLiteral, type TensorLiteral } from './tensor-literal.js';

/** Integer list operands (axes, pads, shapes) may be given literally or as an int64 value name. */
export type Int64Operand = readonly number[] | string;

/**
 * Typed helpers for the default-domain ops Atelier's generated graphs use, written against
 * opset 17 semantics (ReduceSum takes `axes` as an input there; ReduceMean/ReduceMax still take
 * an attribute until opset 18, which `reduce` handles).
 */
export class Ops {
  private readonly constants = new Map<string, string>();

  constructor(readonly graph: GraphBuilder) {}

  private one(opType: string, inputs: readonly string[], attributes: Attributes = {}): string {
    return this.graph.node(opType, inputs, attributes)[0];
  }

  /** Small constants are shared, so repeated literals do not bloat the graph. */
  constant(literal: TensorLiteral, hint = 'const'): string {
    const small = literal.values.data.length <= 16;
    const key = small ? `${literal.values.type}[${literal.dims.join(',')}]:${literal.values.data.join(',')}` : '';
    const known = small ? this.constants.get(key) : undefined;
    if (known !== undefined) return known;
    const name = this.graph.initializer(literal, hint);
    if (small) this.constants.set(key, name);
    return name;
  }

  scalar(value: number): string {
    return this.constant(float32Literal([value], []), 'scalar');
  }

  floats(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(float32Literal(values, dims), 'floats');
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(int64Literal(values, dims), 'ints');
  }

  private ints(operand: Int64Operand): string {
    return typeof operand === 'string' ? operand : this.int64s(operand);
  }

  add = (a: string, b: string): string => this.one('Add', [a, b]);
  sub = (a: string, b: string): string => this.one('Sub', [a, b]);
  mul = (a: string, b: string): string => this.one('Mul', [a, b]);
  div = (a: string, b: string): string => this.one('Div', [a, b]);
  min = (...values: string[]): string => this.one('Min', values);
  max = (...values: string[]): string => this.one('Max', values);
  abs = (x: string): string => this.one('Abs', [x]);
  exp = (x: string): string => this.one('Exp', [x]);
  sqrt = (x: string): string => this.one('Sqrt', [x]);
  floor = (x: string): string => this.one('Floor', [x]);
  matMul = (a: string, b: string): string => this.one('MatMul', [a, b]);
  identity = (x: string): string => this.one('Identity', [x]);

  less = (a: string, b: string): string => this.one('Less', [a, b]);
  lessOrEqual = (a: string, b: string): string => this.one('LessOrEqual', [a, b]);
  greater = (a: string, b: string): string => this.one('Greater', [a, b]);
  greaterOrEqual = (a: string, b: string): string => this.one('GreaterOrEqual', [a, b]);
  equal = (a: string, b: string): string => this.one('Equal', [a, b]);
  and = (a: string, b: string): string => this.one('And', [a, b]);
  or = (a: string, b: string): string => this.one('Or', [a, b]);
  where = (condition: string, whenTrue: string, whenFalse: string): string =>
    this.one('Where', [condition, whenTrue, whenFalse]);

  cast(x: string, to: ElementType): string {
    return this.one('Cast', [x], { to: attr.int(dataTypeOf(to)) });
  }

  /** Shape of `x`, optionally the [start, end) slice of it (opset 15 attributes). */
  shape(x: string, start?: number, end?: number): string {
    const attributes: Record<string, ReturnType<typeof attr.int>> = {};
    if (start !== undefined) attributes.start = attr.int(start);
    if (end !== undefined) attributes.end = attr.int(end);
    return this.one('Shape', [x], attributes);
  }

  gather(data: string, indices: string, axis = 0): string {
    return this.one('Gather', [data, indices], { axis: attr.int(axis) });
  }

  slice(x: string, starts: Int64Operand, ends: Int64Operand, axes: Int64Operand, steps?: Int64Operand): string {
    const inputs = [x, this.ints(starts), this.ints(ends), this.ints(axes)];
    if (steps !== undefined) inputs.push(this.ints(steps));
    return this.one('Slice', inputs);
  }

  concat(values: readonly string[], axis: number): string {
    return this.one('Concat', values, { axis: attr.int(axis) });
  }

  unsqueeze(x: string, axes: Int64Operand): string {
    return this.one('Unsqueeze', [x, this.ints(axes)]);
  }

  squeeze(x: string, axes: Int64Operand): string {
    return this.one('Squeeze', [x, this.ints(axes)]);
  }

  reshape(x: string, shape: Int64Operand): string {
    return this.one('Reshape', [x, this.ints(shape)]);
  }

  expand(x: string, shape: Int64Operand): string {
    return this.one('Expand', [x, this.ints(shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.one('Transpose', [x], { perm: attr.ints(perm) });
  }

  /** Constant padding; `pads` is [begin per axis..., end per axis...] as ONNX orders it. */
  pad(x: string, pads: Int64Operand, value?: string): string {
    const inputs = [x, this.ints(pads)];
    if (value !== undefined) inputs.push(value);
    return this.one('Pad', inputs, { mode: attr.string('constant') });
  }

  /** Range over scalar operands: start, start+delta, ... below limit. */
  range(start: string, limit: string, delta: string): string {
    return this.one('Range', [start, limit, delta]);
  }

  clip(x: string, min?: string, max?: string): string {
    const inputs = [x, min ?? ''];
    if (max !== undefined) inputs.push(max);
    return this.one('Clip', inputs);
  }

  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin', x: string, axes: readonly number[], keepDims: boolean): string {
    const keepdims = attr.int(keepDims ? 1 : 0);
    const axesAreInput = op === 'ReduceSum' ? this.graph.opset >= 13 : this.graph.opset >= 18;
    if (axesAreInput) return this.one(op, [x, this.int64s(axes)], { keepdims });
    return this.one(op, [x], { axes: attr.ints(axes), keepdims });
  }

  reduceSum = (x: string, axes: readonly number[], keepDims: boolean): string => this.reduce('ReduceSum', x, axes, keepDims);
  reduceMean = (x: string, axes: readonly number[], keepDims: boolean): string => this.reduce('ReduceMean', x, axes, keepDims);
  reduceMax = (x: string, axes: readonly number[], keepDims: boolean): string => this.reduce('ReduceMax', x, axes, keepDims);

  /** Tensor of shape `shape` (int64 value) filled with one float32 value. */
  constantOfShape(shape: string, value: number): string {
    return this.one('ConstantOfShape', [shape], { value: attr.tensor(tensorLiteral({ type: 'float32', data: Float32Array.of(value) }, [1])) });
  }

  resize(
    x: string,
    scales: readonly number[],
    options: { readonly mode: 'nearest' | 'linear' | 'cubic'; readonly coordinateTransformationMode: string },
  ): string {
    return this.one('Resize', [x, '', this.floats(scales)], {
      mode: attr.string(options.mode),
      coordinate_transformation_mode: attr.string(options.coordinateTransformationMode),
    });
  }

  averagePool(x: string, kernel: readonly number[], strides: readonly number[] = kernel): string {
    return this.one('AveragePool', [x], { kernel_shape: attr.ints(kernel), strides: attr.ints(strides) });
  }
}
