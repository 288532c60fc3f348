// CLIP's pooled output picks the end-of-text position as input_ids.argmax(-1), because EOS has the
// highest id of the original vocabulary (transformers' legacy path, which SD exports carry). Ids
// appended for textual inversion are higher still and would be picked instead. The patch feeds
// ArgMax with every id ≥ vocab_size replaced by 0, leaving the embedding lookup untouched.
import { onnx, type OnnxNamespace } from '@atelier/onnx-graph';
import type { GraphPatch } from './merged-model.js';
import { producersOf, traceToInput } from './token-embedding.js';
import { toInt } from './onnx-model.js';

const INT_TYPES = new Set([onnx.TensorProto.DataType.INT32, onnx.TensorProto.DataType.INT64]);

export function argmaxGuard(idsInput: string, vocabSize: number): GraphPatch {
  return (graph) => {
    const nodes = graph.node ?? [];
    const producers = producersOf(nodes);
    const inputs = new Set([idsInput]);
    for (const node of [...nodes]) {
      if (node.opType !== 'ArgMax') continue;
      const source = (node.input ?? [])[0];
      if (source === undefined || traceToInput(source, producers, inputs) !== idsInput) continue;
      const type = valueType(source, graph, producers);
      if (type === undefined || !INT_TYPES.has(type)) continue;
      const base = `${node.name ?? 'ArgMax'}/atelier_guard`;
      const limit = `${base}/vocab_size`;
      const zero = `${base}/zero`;
      graph.initializer = [...(graph.initializer ?? []), scalar(limit, type, vocabSize), scalar(zero, type, 0)];
      const inVocab = `${base}/in_vocab`;
      const guarded = `${base}/ids`;
      const guard: OnnxNamespace.INodeProto[] = [
        { name: `${base}/Less`, opType: 'Less', input: [source, limit], output: [inVocab] },
        { name: `${base}/Where`, opType: 'Where', input: [inVocab, source, zero], output: [guarded] },
      ];
      node.input = [guarded, ...(node.input ?? []).slice(1)];
      // Topological order: the guard goes right before the ArgMax it feeds.
      const at = (graph.node ?? []).indexOf(node);
      graph.node = [...(graph.node ?? []).slice(0, at), ...guard, ...(graph.node ?? []).slice(at)];
    }
  };
}

/** Element type of an integer value produced by casts and reshapes of a graph input. */
function valueType(value: string, graph: OnnxNamespace.IGraphProto, producers: ReadonlyMap<string, OnnxNamespace.INodeProto>): number | undefined {
  const input = (graph.input ?? []).find((candidate) => candidate.name === value);
  if (input !== undefined) return input.type?.tensorType?.elemType ?? undefined;
  const node = producers.get(value);
  if (node === undefined) return undefined;
  if (node.opType === 'Cast') {
    const to = (node.attribute ?? []).find((attribute) => attribute.name === 'to');
    return to ? toInt(to.i) : undefined;
  }
  const source = (node.input ?? [])[0];
  return source === undefined ? undefined : valueType(source, graph, producers);
}

function scalar(name: string, type: number, value: number): OnnxNamespace.ITensorProto {
  const bytes = type === onnx.TensorProto.DataType.INT64 ? new Uint8Array(new BigInt64Array([BigInt(value)]).buffer) : new Uint8Array(new Int32Array([value]).buffer);
  return { name, dataType: type, dims: [], rawData: bytes };
}
