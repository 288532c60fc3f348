import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { float32Literal, GraphBuilder, onnx, Ops } from '@atelier/onnx-graph';

/** One raw SCRFD head entry: anchor `index` of `stride` with its score, box distances and landmark offsets (stride units). */
export interface ScrfdEntry {
  readonly stride: number;
  readonly index: number;
  readonly score: number;
  readonly box: readonly number[];
  readonly landmarks: readonly number[];
}

/** onnx.TensorProto.DataType.DOUBLE: the builder has no float64, so the declaration is patched. */
const DOUBLE = 11;

async function save(graph: GraphBuilder, file: string, doubleInputs: readonly string[] = []): Promise<string> {
  const { proto } = graph.toModelProto();
  for (const input of proto.graph?.input ?? []) {
    if (input.name && doubleInputs.includes(input.name) && input.type?.tensorType) input.type.tensorType.elemType = DOUBLE;
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, onnx.ModelProto.encode(proto).finish());
  return file;
}

/** `constant + 0 * mean(input)`: a fixed answer that still consumes the input. */
function constantFromInput(ops: Ops, input: string, values: Float32Array, dims: readonly number[]): string {
  const zero = ops.mul(ops.reduceMean(input, [1, 2, 3], false), ops.scalar(0));
  return ops.add(ops.constant(float32Literal(values, dims), 'answer'), zero);
}

/**
 * An SCRFD-shaped detector (insightface det_10g layout): `input.1` [1,3,640,640] → 9 outputs in
 * insightface's order — scores for strides 8/16/32, then boxes, then landmarks — `[N,k]`, or
 * `[1,N,k]` when `batched`; all zero but the given entries.
 */
export async function writeScrfdGraph(file: string, entries: readonly ScrfdEntry[], options: { batched?: boolean } = {}): Promise<string> {
  const graph = new GraphBuilder({ name: 'scrfd' });
  const ops = new Ops(graph);
  const input = graph.input('input.1', 'float32', [1, 3, 640, 640]);
  const strides = [8, 16, 32];
  for (const [kind, width] of [['score', 1], ['bbox', 4], ['kps', 10]] as const) {
    for (const stride of strides) {
      const count = (640 / stride) ** 2 * 2;
      const values = new Float32Array(count * width);
      for (const entry of entries.filter((e) => e.stride === stride)) {
        const row = kind === 'score' ? [entry.score] : kind === 'bbox' ? entry.box : entry.landmarks;
        values.set(row, entry.index * width);
      }
      const dims = options.batched ? [1, count, width] : [count, width];
      graph.output(`${kind}_${stride}`, 'float32', dims, constantFromInput(ops, input, values, dims));
    }
  }
  return save(graph, file);
}

export type RestorerTransform = 'invert' | 'identity' | 'fidelity';

/**
 * A face restorer with the real export's names: `input` [1,3,size,size] (and for CodeFormer
 * `weight`, double [1]) → `output`. `invert`: output = −input (colours inverted); `identity`;
 * `fidelity`: every pixel 2·weight − 1, so the pasted face shows the weight the model received.
 */
export async function writeRestorerGraph(
  file: string,
  options: { kind: 'codeformer' | 'gfpgan'; transform: RestorerTransform; size?: number; dtype?: 'float32' | 'float16' },
): Promise<string> {
  const size = options.size ?? 512;
  const dtype = options.dtype ?? 'float32';
  const graph = new GraphBuilder({ name: options.kind });
  const ops = new Ops(graph);
  const raw = graph.input('input', dtype, [1, 3, size, size]);
  const input = dtype === 'float16' ? ops.cast(raw, 'float32') : raw;
  let output: string;
  if (options.transform === 'invert') output = ops.sub(ops.scalar(0), input);
  else if (options.transform === 'identity') output = ops.identity(input);
  else output = ops.mul(input, ops.scalar(0));
  if (options.kind === 'codeformer') {
    // Declared float32 here, float64 in the saved model (see save); the Cast reads it as a double.
    const weight = ops.cast(graph.input('weight', 'float32', [1]), 'float32');
    const used = options.transform === 'fidelity' ? ops.sub(ops.mul(weight, ops.scalar(2)), ops.scalar(1)) : ops.mul(weight, ops.scalar(0));
    output = ops.add(output, used);
  }
  graph.output('output', dtype, [1, 3, size, size], dtype === 'float16' ? ops.cast(output, 'float16') : output);
  return save(graph, file, options.kind === 'codeformer' ? ['weight'] : []);
}
