// Locating a text encoder's token embedding table: the Gather whose indices come (through casts
// and reshapes only) from the graph input input_ids, reading a [vocab, hidden] initializer. The
// position embedding is also a Gather, but on position ids, which is how the two are told apart.
import type { OnnxNamespace } from '@atelier/onnx-graph';
import type { OnnxModel } from './onnx-model.js';

const PASS_THROUGH = new Set(['Cast', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

export interface TokenEmbeddingTable {
  readonly initializer: string;
  readonly vocabSize: number;
  readonly hidden: number;
  /** The graph input carrying token ids. */
  readonly idsInput: string;
}

export function producersOf(nodes: readonly OnnxNamespace.INodeProto[]): Map<string, OnnxNamespace.INodeProto> {
  const producers = new Map<string, OnnxNamespace.INodeProto>();
  for (const node of nodes) for (const output of node.output ?? []) producers.set(output, node);
  return producers;
}

/** The graph input a value is a cast / reshaped copy of, if any. */
export function traceToInput(value: string, producers: ReadonlyMap<string, OnnxNamespace.INodeProto>, inputs: ReadonlySet<string>): string | undefined {
  let current = value;
  for (let depth = 0; depth < 16; depth++) {
    if (inputs.has(current)) return current;
    const node = producers.get(current);
    if (node === undefined || !PASS_THROUGH.has(node.opType ?? '')) return undefined;
    current = (node.input ?? [])[0] ?? '';
  }
  return undefined;
}

export function idsInputName(model: OnnxModel): string {
  const inputs = model.graphInputs;
  const named = inputs.find((name) => name === 'input_ids') ?? inputs.find((name) => /input_ids|ids/.test(name));
  if (named === undefined) throw new Error(`the model has no input_ids input (inputs: ${inputs.join(', ')})`);
  return named;
}

export function findTokenEmbedding(model: OnnxModel): TokenEmbeddingTable {
  const idsInput = idsInputName(model);
  const producers = producersOf(model.nodes);
  const found = new Set<string>();
  for (const node of model.nodes) {
    if (node.opType !== 'Gather') continue;
    const [table, indices] = node.input ?? [];
    const info = table === undefined ? undefined : model.initializers.get(table);
    if (info === undefined || info.dims.length !== 2 || indices === undefined) continue;
    if (traceToInput(indices, producers, new Set([idsInput])) === idsInput) found.add(info.name);
  }
  if (found.size !== 1) throw new Error(`expected one token embedding Gather on ${idsInput}, found ${found.size}`);
  const [initializer] = found;
  const [vocabSize, hidden] = model.info(initializer).dims;
  return { initializer, vocabSize, hidden, idsInput };
}
