import { BYTES_PER_ELEMENT, ONNX_DATA_TYPE, type ElementType } from './element-type.js';

/** Typed element storage; float16 is held as raw binary16 bits (see float16.ts). */
export type TensorValues =
  | { readonly type: 'float32'; readonly data: Float32Array }
  | { readonly type: 'float16'; readonly data: Uint16Array }
  | { readonly type: 'int64'; readonly data: BigInt64Array }
  | { readonly type: 'int32'; readonly data: Int32Array }
  | { readonly type: 'bool'; readonly data: Uint8Array };

/** A constant tensor: values plus a fixed shape ([] is a scalar). */
export interface TensorLiteral {
  readonly values: TensorValues;
  readonly dims: readonly number[];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

export function tensorLiteral(values: TensorValues, dims: readonly number[]): TensorLiteral {
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`invalid tensor dimension ${dim}`);
  }
  const expected = elementCount(dims);
  if (values.data.length !== expected) {
    throw new Error(`tensor of shape [${dims.join(', ')}] needs ${expected} values, got ${values.data.length}`);
  }
  return { values, dims: [...dims] };
}

export const float32Literal = (data: ArrayLike<number>, dims: readonly number[] = [data.length]): TensorLiteral =>
  tensorLiteral({ type: 'float32', data: Float32Array.from(data) }, dims);

export const int64Literal = (data: ArrayLike<number>, dims: readonly number[] = [data.length]): TensorLiteral =>
  tensorLiteral({ type: 'int64', data: BigInt64Array.from(Array.from(data, (v) => BigInt(v))) }, dims);

/**
 * Raw little-endian bytes as ONNX raw_data stores them. Typed arrays use the host byte order,
 * which is little-endian on every platform onnxruntime-node ships for.
 */
export function literalBytes(literal: TensorLiteral): Uint8Array {
  const { data } = literal.values;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

export function literalByteLength(literal: TensorLiteral): number {
  return elementCount(literal.dims) * BYTES_PER_ELEMENT[literal.values.type];
}

export function dataTypeOf(type: ElementType): number {
  return ONNX_DATA_TYPE[type];
}
