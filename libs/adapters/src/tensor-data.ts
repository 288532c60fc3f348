// Initializer bytes as ONNX stores them (raw little-endian) to and from float32, the type every
// merge and refit computes in. Only the float types Stable Diffusion exports carry are handled;
// anything else is refused by name rather than silently reinterpreted.
import { float16BitsToFloat32, float32ToFloat16Bits } from '@atelier/onnx-graph';

/** onnx.TensorProto.DataType codes of the float types an initializer may be merged in. */
export const FLOAT_TYPES = { float32: 1, float16: 10, float64: 11, bfloat16: 16 } as const;

export type FloatTypeName = keyof typeof FLOAT_TYPES;

const NAMES = new Map<number, FloatTypeName>(Object.entries(FLOAT_TYPES).map(([name, code]) => [code, name as FloatTypeName]));
const BYTES: Readonly<Record<FloatTypeName, number>> = { float32: 4, float16: 2, float64: 8, bfloat16: 2 };

export function floatTypeName(dataType: number): FloatTypeName | undefined {
  return NAMES.get(dataType);
}

export function floatTypeOf(dataType: number, what: string): FloatTypeName {
  const name = NAMES.get(dataType);
  if (name === undefined) throw new Error(`${what} has ONNX data type ${dataType}, not a float type this library merges`);
  return name;
}

export function bytesPerElement(type: FloatTypeName): number {
  return BYTES[type];
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The bytes in a fresh ArrayBuffer of their own. Not `bytes.slice()`: protobufjs and fs hand out
 * Node Buffers, whose slice is a view into a shared pool.
 */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

let halfTable: Float32Array | undefined;

// A table lookup per value beats re-deriving 65,536 possible halves millions of times.
function halfValues(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) halfTable[bits] = float16BitsToFloat32(bits);
  }
  return halfTable;
}

export function decodeFloats(bytes: Uint8Array, type: FloatTypeName): Float32Array {
  const size = BYTES[type];
  if (bytes.byteLength % size !== 0) throw new Error(`${bytes.byteLength} bytes is not a whole number of ${type} values`);
  const count = bytes.byteLength / size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (type) {
    case 'float32':
      // A copy is aligned and, on little-endian hosts, already the values: a memcpy, not a loop.
      if (LITTLE_ENDIAN) return new Float32Array(alignedCopy(bytes));
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'float16': {
      const table = halfValues();
      if (LITTLE_ENDIAN) {
        const bits = new Uint16Array(alignedCopy(bytes));
        for (let i = 0; i < count; i++) out[i] = table[bits[i]];
      } else {
        for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)];
      }
      break;
    }
    case 'bfloat16': {
      const bits = new Uint32Array(1);
      const asFloat = new Float32Array(bits.buffer);
      for (let i = 0; i < count; i++) {
        bits[0] = view.getUint16(i * 2, true) << 16;
        out[i] = asFloat[0];
      }
      break;
    }
  }
  return out;
}

/** float32 values rounded (to nearest even) into `type`'s little-endian bytes. */
export function encodeFloats(values: Float32Array, type: FloatTypeName): Uint8Array {
  const out = new Uint8Array(values.length * BYTES[type]);
  const view = new DataView(out.buffer);
  switch (type) {
    case 'float32':
      if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
      for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
      break;
    case 'float64':
      for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
      break;
    case 'float16':
      for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float32ToFloat16Bits(values[i]), true);
      break;
    case 'bfloat16': {
      const scratch = new Float32Array(1);
      const bits = new Uint32Array(scratch.buffer);
      for (let i = 0; i < values.length; i++) {
        scratch[0] = values[i];
        const word = bits[0];
        const isNaN = (word & 0x7f800000) === 0x7f800000 && (word & 0x7fffff) !== 0;
        const rounded = isNaN ? (word >>> 16) | 0x40 : (word + 0x7fff + ((word >>> 16) & 1)) >>> 16;
        view.setUint16(i * 2, rounded & 0xffff, true);
      }
      break;
    }
  }
  return out;
}
