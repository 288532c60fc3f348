// Test models in the shape torch.onnx / Optimum write them: nodes named after the module path
// ("/down_blocks.0/attentions.0/proj_in/Conv"), Linear weights stored transposed under
// "onnx::MatMul_<n>", convolution and bias initializers under their parameter names.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from '@atelier/onnx-graph';
import type { GraphBuilder } from '@atelier/onnx-graph';
import { tensorLiteral, type TensorLiteral } from '@atelier/onnx-graph';
import { toFloat16Bits } from '@atelier/onnx-graph';

export type FloatKind = 'float32' | 'float16';

/** Parameters in PyTorch layout, keyed by diffusers parameter name. */
export type Weights = Record<string, Float32Array>;

export interface EncodedExport {
  readonly model: Uint8Array;
  readonly externalData: Uint8Array | null;
}

/** GraphBuilder suffixes node names with "_node"; exporters do not. */
export function encodeExport(graph: GraphBuilder, external = false): EncodedExport {
  const { proto, externalData } = graph.toModelProto(external ? { externalData: { location: 'model.onnx_data', thresholdBytes: 64 } } : {});
  for (const node of proto.graph?.node ?? []) node.name = (node.name ?? '').replace(/_node(_\d+)?$/, '$1');
  return { model: onnx.ModelProto.encode(proto).finish(), externalData };
}

export async function saveExport(graph: GraphBuilder, modelPath: string, external = false): Promise<void> {
  const encoded = encodeExport(graph, external);
  await mkdir(path.dirname(modelPath), { recursive: true });
  await writeFile(modelPath, encoded.model);
  if (encoded.externalData !== null) await writeFile(path.join(path.dirname(modelPath), 'model.onnx_data'), encoded.externalData);
}

export function floatLiteral(values: Float32Array, dims: readonly number[], kind: FloatKind): TensorLiteral {
  return kind === 'float32' ? tensorLiteral({ type: 'float32', data: values }, dims) : tensorLiteral({ type: 'float16', data: toFloat16Bits(values) }, dims);
}

export function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  return out;
}

/** Deterministic values in [-scale, scale). */
export function randomValues(count: number, seed: number, scale = 0.5): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = ((state / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

export function randomWeights(shapes: Readonly<Record<string, readonly number[]>>, seed: number): Weights {
  const weights: Weights = {};
  let salt = seed;
  for (const [name, dims] of Object.entries(shapes)) {
    const fanIn = dims.slice(1).reduce((product, dim) => product * dim, 1) || dims[0];
    weights[name] = randomValues(dims.reduce((product, dim) => product * dim, 1), salt++ * 7919 + 17, 1 / Math.sqrt(fanIn));
  }
  return weights;
}
