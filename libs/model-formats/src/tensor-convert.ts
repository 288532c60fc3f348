// Decoding tensor bytes to float32, the type merging and refitting arithmetic works in. Narrow
// float types go through lookup tables built once: a checkpoint holds hundreds of millions of
// half-precision values, and a table load beats re-deriving each one.
import { float16BitsToFloat32 } from '@atelier/onnx-graph';
import { HOST_IS_LITTLE_ENDIAN, viewOf } from './little-endian.js';
import { dtypeByteSize, elementCount, type SafetensorsDtype } from './safetensors-dtype.js';
import { SafetensorsError } from './safetensors-error.js';

export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: Uint8Array;
}

let float16Table: Float32Array | undefined;
let e4m3Table: Float32Array | undefined;

function float16Values(): Float32Array {
  if (float16Table === undefined) {
    float16Table = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) float16Table[bits] = float16BitsToFloat32(bits);
  }
  return float16Table;
}

/** OCP 8-bit E4M3 ("fn"): bias 7, no infinities, S.1111.111 is NaN. */
export function e4m3BitsToFloat32(bits: number): number {
  const sign = bits & 0x80 ? -1 : 1;
  const exponent = (bits >>> 3) & 0xf;
  const mantissa = bits & 0x7;
  if (exponent === 0xf && mantissa === 0x7) return Number.NaN;
  if (exponent === 0) return sign * (mantissa / 8) * 2 ** -6;
  return sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
}

function e4m3Values(): Float32Array {
  if (e4m3Table === undefined) {
    e4m3Table = new Float32Array(0x100);
    for (let bits = 0; bits < 0x100; bits++) e4m3Table[bits] = e4m3BitsToFloat32(bits);
  }
  return e4m3Table;
}

export function tensorToFloat32(entry: RawTensor): Float32Array {
  const count = elementCount(entry.shape);
  const expected = count * dtypeByteSize(entry.dtype);
  if (entry.data.byteLength !== expected) {
    throw new SafetensorsError(
      `${entry.data.byteLength} bytes but shape [${entry.shape.join(', ')}] of ${entry.dtype} needs ${expected}`,
    );
  }
  const out = new Float32Array(count);
  const view = viewOf(entry.data);
  const bytes = entry.data;
  switch (entry.dtype) {
    case 'F32':
      if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
        out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
      } else {
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      }
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16': {
      const table = float16Values();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)];
      break;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32, so widening is a shift (the Uint32 and Float32
      // views share the host's byte order, whatever it is).
      const wide = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) wide[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'F8_E4M3': {
      const table = e4m3Values();
      for (let i = 0; i < count; i++) out[i] = table[bytes[i]];
      break;
    }
    case 'F8_E5M2': {
      // E5M2 is the top byte of a binary16.
      const table = float16Values();
      for (let i = 0; i < count; i++) out[i] = table[bytes[i] << 8];
      break;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'U64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'U32':
      for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'U16':
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      out.set(bytes);
      break;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = bytes[i] === 0 ? 0 : 1;
      break;
  }
  return out;
}
