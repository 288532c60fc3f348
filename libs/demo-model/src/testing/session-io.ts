import * as ort from 'onnxruntime-node';

/** [name, element type, shape] of one session input or output, as onnxruntime reports it. */
export type DescribedValue = [string, string, readonly (number | string)[]];

function describe(metadata: ort.InferenceSession.ValueMetadata): DescribedValue {
  if (!metadata.isTensor) throw new Error(`${metadata.name} is not a tensor`);
  return [metadata.name, metadata.type, metadata.shape];
}

/** Loads a model (path or bytes) and lists what its session declares. */
export async function describeModel(model: string | Uint8Array): Promise<{ inputs: DescribedValue[]; outputs: DescribedValue[] }> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    return { inputs: session.inputMetadata.map(describe), outputs: session.outputMetadata.map(describe) };
  } finally {
    await session.release();
  }
}

/** Runs a session once and copies the float32 outputs out. */
export async function runFloat32(session: ort.InferenceSession, feeds: Readonly<Record<string, ort.Tensor>>): Promise<Record<string, Float32Array>> {
  const results = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const [name, tensor] of Object.entries(results)) {
    if (tensor.type === 'float32') out[name] = (tensor.data as Float32Array).slice();
    tensor.dispose();
  }
  return out;
}

export const float32Tensor = (data: ArrayLike<number>, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', Float32Array.from(data), dims);

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
