import * as ort from 'onnxruntime-node';

/** Latent size and batch that a benchmark feeds a component with. */
export interface FeedShape {
  readonly batch: number;
  readonly latentHeight: number;
  readonly latentWidth: number;
  readonly vaeScale: number;
}

const TOKENS = 77;

/**
 * Deterministic inputs for any Stable Diffusion component, shaped from the session's own input
 * metadata (int32 or int64 ids and timesteps, fp16 or fp32 floats): a benchmark needs the shapes
 * and dtypes right, not meaningful values.
 */
export function syntheticFeeds(session: ort.InferenceSession, shape: FeedShape, image: boolean): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) throw new Error(`input ${meta.name} is not a tensor`);
    const dims = concreteDims(meta.name, meta.shape, shape, image);
    const count = dims.reduce((total, dim) => total * dim, 1);
    feeds[meta.name] = tensorOf(meta.type, count, dims, meta.name);
  }
  return feeds;
}

function concreteDims(name: string, declared: ReadonlyArray<number | string>, shape: FeedShape, image: boolean): number[] {
  const spatial = image ? [shape.latentHeight * shape.vaeScale, shape.latentWidth * shape.vaeScale] : [shape.latentHeight, shape.latentWidth];
  return declared.map((dim, axis) => {
    if (typeof dim === 'number' && dim > 0) return dim;
    if (axis === 0) return image ? 1 : shape.batch;
    if (declared.length === 4) return spatial[axis - 2] ?? 1;
    if (axis === 1 && (declared.length === 2 || declared.length === 3)) return TOKENS;
    throw new Error(`cannot choose a size for axis ${axis} of input ${name}`);
  });
}

function tensorOf(type: ort.Tensor.Type, count: number, dims: number[], name: string): ort.Tensor {
  switch (type) {
    case 'float32': {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = Math.sin(i * 0.37) * 0.5;
      return new ort.Tensor('float32', data, dims);
    }
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(count).fill(0x3800), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(count).fill(name.includes('input_ids') ? 320n : 500n), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(count).fill(name.includes('input_ids') ? 320 : 500), dims);
    default:
      throw new Error(`input ${name} has type ${type}, which the benchmark does not feed`);
  }
}
