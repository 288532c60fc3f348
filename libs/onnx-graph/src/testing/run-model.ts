import * as ort from 'onnxruntime-node';

export interface OutputValue {
  readonly type: ort.Tensor.Type;
  readonly dims: readonly number[];
  readonly data: ort.Tensor.DataType;
}

/** One-shot inference for tests: copies every output out of onnxruntime and releases it all. */
export async function runModel(
  model: Uint8Array | string,
  feeds: Readonly<Record<string, ort.Tensor>>,
): Promise<Record<string, OutputValue>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const results = await session.run(feeds);
    const outputs: Record<string, OutputValue> = {};
    for (const [name, tensor] of Object.entries(results)) {
      outputs[name] = { type: tensor.type, dims: [...tensor.dims], data: copyData(tensor.data) };
      tensor.dispose();
    }
    return outputs;
  } finally {
    await session.release();
  }
}

function copyData(data: ort.Tensor.DataType): ort.Tensor.DataType {
  return Array.isArray(data) ? [...data] : data.slice();
}

export function float32Output(outputs: Readonly<Record<string, OutputValue>>, name: string): Float32Array {
  const value = outputs[name];
  if (value === undefined) throw new Error(`no output named ${name}`);
  if (!(value.data instanceof Float32Array)) throw new Error(`output ${name} is ${value.type}, not float32`);
  return value.data;
}
