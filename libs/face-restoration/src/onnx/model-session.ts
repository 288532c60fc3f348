import { access } from 'node:fs/promises';
import { fromFloat16Bits, toFloat16Bits } from '@atelier/onnx-graph';
import * as ort from 'onnxruntime-node';
import { FaceRestoreError } from '../errors.js';

export interface FaceModelOptions {
  /** Session options (execution providers); the worker passes its `sessionOptionsFor(...)`. */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** Opens an ONNX file, reporting a missing or unloadable file with a code naming `role`. */
export async function openSession(file: string, role: string, options: FaceModelOptions): Promise<ort.InferenceSession> {
  await access(file).catch(() => {
    throw new FaceRestoreError('face_model_missing', `no ${role} model at ${file}`);
  });
  return ort.InferenceSession.create(file, options.sessionOptions ?? {}).catch((error: Error) => {
    throw new FaceRestoreError('face_model_invalid', `${file} is not a loadable ONNX ${role} model (${error.message})`);
  });
}

export function tensorMetadata(metadata: readonly ort.InferenceSession.ValueMetadata[], name: string): ort.InferenceSession.TensorValueMetadata | null {
  const entry = metadata.find((value) => value.name === name);
  return entry?.isTensor ? entry : null;
}

/** A float input in the type the session declares: fp16 exports are converted at the boundary. */
export function floatInput(type: string, data: Float32Array, dims: readonly number[]): ort.Tensor {
  if (type === 'float16') return new ort.Tensor('float16', toFloat16Bits(data), dims);
  if (type === 'float64') return new ort.Tensor('float64', Float64Array.from(data), dims);
  return new ort.Tensor('float32', data, dims);
}

/** A float output as float32 with its dims, or null when it is not a float tensor. */
export function readFloat(value: ort.OnnxValue | undefined): { data: Float32Array; dims: readonly number[] } | null {
  if (!(value instanceof ort.Tensor)) return null;
  if (value.type === 'float32') return { data: value.data as Float32Array, dims: value.dims };
  if (value.type === 'float16') return { data: fromFloat16Bits(value.data as Uint16Array), dims: value.dims };
  return null;
}

export function disposeAll(outputs: ort.InferenceSession.OnnxValueMapType): void {
  for (const value of Object.values(outputs)) value.dispose();
}
