import * as ort from 'onnxruntime-node';
import { toFloat16Bits } from '@atelier/onnx-graph';
import { randomValues, type FloatKind } from './exporter-model.js';

export type OutputData = Float32Array | Uint16Array | BigInt64Array | Int32Array;

/** Runs one session and copies every output out before releasing it. */
export async function runOutputs(
  model: Uint8Array | string,
  feeds: Readonly<Record<string, ort.Tensor>>,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Record<string, OutputData>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  try {
    const results = await session.run(feeds);
    const out: Record<string, OutputData> = {};
    for (const [name, tensor] of Object.entries(results)) {
      const data = tensor.data;
      if (!(data instanceof Float32Array || data instanceof Uint16Array || data instanceof BigInt64Array || data instanceof Int32Array)) {
        throw new Error(`output ${name} has unexpected type ${tensor.type}`);
      }
      out[name] = data.slice();
      tensor.dispose();
    }
    return out;
  } finally {
    await session.release();
  }
}

export function floatTensor(kind: FloatKind, dims: readonly number[], seed: number): ort.Tensor {
  const values = randomValues(dims.reduce((a, b) => a * b, 1), seed, 1);
  return kind === 'float32' ? new ort.Tensor('float32', values, dims) : new ort.Tensor('float16', toFloat16Bits(values), dims);
}
