import * as ort from 'onnxruntime-node';

export type Dims = readonly number[];

/** Input metadata by name, so each export's own dtypes and ranks decide how we feed it. */
export function inputMetadata(session: ort.InferenceSession, name: string): ort.InferenceSession.TensorValueMetadata | undefined {
  const meta = session.inputMetadata.find((entry) => entry.name === name);
  return meta && meta.isTensor ? meta : undefined;
}

export function hasInput(session: ort.InferenceSession, name: string): boolean {
  return session.inputNames.includes(name);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits (round to nearest even), for fp16 exports. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  toFloat16BitsInto(values, out);
  return out;
}

/** `toFloat16Bits` into a preallocated array of the same length. */
export function toFloat16BitsInto(values: Float32Array, out: Uint16Array): void {
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = ((x >>> 23) & 0xff) - 127 + 15;
    let mantissa = x & 0x7fffff;
    if (exponent <= 0) {
      if (exponent < -10) {
        out[i] = sign;
        continue;
      }
      mantissa = (mantissa | 0x800000) >> (1 - exponent);
      out[i] = sign | ((mantissa + 0x1000) >> 13);
    } else if (exponent >= 0x1f) {
      out[i] = sign | 0x7c00 | (((x >>> 23) & 0xff) === 0xff && mantissa ? 0x200 : 0);
    } else {
      out[i] = sign | (exponent << 10) | ((mantissa + 0x1000) >> 13);
    }
  }
}

export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  fromFloat16BitsInto(bits, out);
  return out;
}

/** `fromFloat16Bits` into a preallocated array of the same length. */
export function fromFloat16BitsInto(bits: Uint16Array, out: Float32Array): void {
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** -14 * (mantissa / 1024);
    else if (exponent === 0x1f) out[i] = mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
  }
}

/** A float tensor in the dtype the session declares for `name` (fp32 or fp16). */
export function floatInput(session: ort.InferenceSession, name: string, data: Float32Array, dims: Dims): ort.Tensor {
  const type = inputMetadata(session, name)?.type ?? 'float32';
  if (type === 'float16') return new ort.Tensor('float16', toFloat16Bits(data), dims);
  return new ort.Tensor('float32', data, dims);
}

/** Integer ids in the dtype the session declares (int32 or int64 exports both exist). */
export function integerInput(session: ort.InferenceSession, name: string, data: ArrayLike<number>, dims: Dims): ort.Tensor {
  const type = inputMetadata(session, name)?.type ?? 'int64';
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(data), dims);
  const big = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) big[i] = BigInt(data[i]);
  return new ort.Tensor('int64', big, dims);
}

/**
 * A float output as float32 whatever the export produced. CPU-resident output data is already a
 * JS-owned array, so fp32 needs no copy; callers still dispose the tensors they ran.
 */
export function readFloat32(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return fromFloat16Bits(tensor.data as Uint16Array);
  throw new TypeError(`expected a float tensor, got ${tensor.type}`);
}

export function disposeAll(outputs: ort.InferenceSession.OnnxValueMapType): void {
  for (const value of Object.values(outputs)) value.dispose();
}
