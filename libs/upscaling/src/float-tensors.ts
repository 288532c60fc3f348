import { float16BitsToFloat32, fromFloat16Bits, toFloat16Bits } from '@atelier/onnx-graph';
import * as ort from 'onnxruntime-node';

export type FloatType = 'float32' | 'float16';

/** fp16 exports take and give half floats: convert at the session boundary, compute in float32. */
export function floatTensor(type: FloatType, data: Float32Array, dims: readonly number[]): ort.Tensor {
  return type === 'float16' ? new ort.Tensor('float16', toFloat16Bits(data), dims) : new ort.Tensor('float32', data, dims);
}

/** A float output as float32, or null when the tensor is not a float type we read. */
export function readFloat(value: ort.OnnxValue | undefined): Float32Array | null {
  if (!(value instanceof ort.Tensor)) return null;
  if (value.type === 'float32') return value.data as Float32Array;
  if (value.type === 'float16') return fromFloat16Bits(value.data as Uint16Array);
  return null;
}

/** The declared element type of a float input/output, or null when it is not float32/float16. */
export function declaredFloatType(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string): FloatType | null {
  const entry = metadata.find((value) => value.name === name);
  if (!entry?.isTensor) return null;
  return entry.type === 'float32' || entry.type === 'float16' ? entry.type : null;
}

/** Declared dims of a tensor input/output; strings are dynamic. */
export function declaredShape(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string): readonly (number | string)[] {
  const entry = metadata.find((value) => value.name === name);
  return entry?.isTensor ? entry.shape : [];
}

let halfTable: Float32Array | null = null;

/**
 * Half-float bits into an existing float32 buffer (no allocation per tile), through a table of
 * all 65,536 values: an fp16 x4 tile is millions of conversions.
 */
export function fromHalfInto(bits: Uint16Array, out: Float32Array): void {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = float16BitsToFloat32(i);
  }
  const table = halfTable;
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
}
