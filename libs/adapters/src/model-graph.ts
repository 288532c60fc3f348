// Where each PyTorch parameter of an exported model ended up. torch.onnx names nodes after the
// module that produced them ("/down_blocks.0/attentions.0/proj_in/Conv"), so a node's module path
// is its name minus the last segment, dots kept. Linear layers become MatMul nodes whose weight
// is a constant-folded transpose ("onnx::MatMul_1234", [in, out]) or Gemm nodes (transB says);
// convolutions keep named [out, in, kh, kw] initializers. Norms and biases hang off Mul, Add or
// LayerNormalization nodes under the same module.
import type { OnnxNamespace } from '@atelier/onnx-graph';
import { elementCount, toInt, type OnnxModel } from './onnx-model.js';

/** 'out-in': PyTorch order ([out, in, ...]); 'in-out': the transposed matrix MatMul multiplies by. */
export type WeightLayout = 'out-in' | 'in-out';

export interface WeightSlot {
  readonly module: string;
  readonly op: 'MatMul' | 'Gemm' | 'Conv';
  readonly node: string;
  readonly initializer: string;
  readonly layout: WeightLayout;
  readonly dims: readonly number[];
}

/** Where a named parameter lives; `transpose` when the stored matrix is the parameter transposed. */
export interface ParameterTarget {
  readonly initializer: string;
  readonly transpose: boolean;
  readonly dims: readonly number[];
}

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);
const NORM_OPS = new Set(['LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'SimplifiedLayerNormalization']);

/** "/down_blocks.0/attentions.0/proj_in/Conv" → "down_blocks.0.attentions.0.proj_in". */
export function modulePathOf(nodeName: string): string | undefined {
  if (!nodeName.startsWith('/')) return undefined;
  const segments = nodeName.slice(1).split('/');
  if (segments.length < 2) return undefined;
  return segments.slice(0, -1).join('.');
}

export class ModelGraph {
  /** Weight slots by module path; a module normally has exactly one. */
  readonly modules = new Map<string, WeightSlot[]>();
  /** Modules reading each weight initializer: more than one means an exporter shared it. */
  readonly consumers = new Map<string, Set<string>>();
  private readonly producers = new Map<string, OnnxNamespace.INodeProto>();
  private readonly nodesByModule = new Map<string, OnnxNamespace.INodeProto[]>();

  constructor(readonly model: OnnxModel) {
    for (const node of model.nodes) for (const output of node.output ?? []) this.producers.set(output, node);
    for (const node of model.nodes) {
      const module = modulePathOf(node.name ?? '');
      if (module !== undefined) pushTo(this.nodesByModule, module, node);
      if (WEIGHT_OPS.has(node.opType ?? '')) this.addWeightSlot(node, module);
    }
  }

  private addWeightSlot(node: OnnxNamespace.INodeProto, nodeModule: string | undefined): void {
    const op = node.opType as WeightSlot['op'];
    const found = this.weightInput(node);
    if (found === undefined) return;
    const module = nodeModule ?? moduleOfParameterName(found.initializer);
    if (module === undefined) return;
    const dims = this.model.info(found.initializer).dims;
    const slot: WeightSlot = { module, op, node: node.name ?? '', initializer: found.initializer, layout: found.layout, dims };
    pushTo(this.modules, module, slot);
    let modules = this.consumers.get(slot.initializer);
    if (modules === undefined) this.consumers.set(slot.initializer, (modules = new Set()));
    modules.add(module);
  }

  private weightInput(node: OnnxNamespace.INodeProto): { initializer: string; layout: WeightLayout } | undefined {
    const input = (node.input ?? [])[1];
    if (input === undefined || input === '') return undefined;
    const op = node.opType;
    if (this.model.initializers.has(input)) {
      if (op === 'Conv') return { initializer: input, layout: 'out-in' };
      if (op === 'Gemm') return { initializer: input, layout: intAttribute(node, 'transB') === 1 ? 'out-in' : 'in-out' };
      return { initializer: input, layout: 'in-out' };
    }
    // Unfolded exports multiply by Transpose(W) of the PyTorch-ordered weight.
    const producer = this.producers.get(input);
    const source = (producer?.input ?? [])[0];
    if (op === 'MatMul' && producer?.opType === 'Transpose' && source !== undefined && this.model.initializers.has(source)) {
      return { initializer: source, layout: 'out-in' };
    }
    return undefined;
  }

  /** The one weight slot of a module, or undefined when it has none or several. */
  weightSlot(module: string): WeightSlot | undefined {
    const slots = this.modules.get(module);
    return slots !== undefined && slots.length === 1 ? slots[0] : undefined;
  }

  /**
   * Initializer holding parameter `name` (e.g. "down_blocks.0.resnets.0.norm1.bias") of
   * `count` elements: a same-named initializer, the module's weight slot, or the unique
   * initializer of that size read by the module's norm, Gemm/Conv bias, Mul or Add nodes.
   */
  resolveParameter(name: string, count: number): ParameterTarget | undefined {
    const named = this.model.initializers.get(name);
    if (named !== undefined) return { initializer: name, transpose: false, dims: named.dims };
    const dot = name.lastIndexOf('.');
    if (dot < 0) return undefined;
    const module = name.slice(0, dot);
    const leaf = name.slice(dot + 1);
    if (leaf === 'weight') {
      const slot = this.weightSlot(module);
      if (slot !== undefined) return { initializer: slot.initializer, transpose: slot.layout === 'in-out', dims: slot.dims };
    }
    if (leaf !== 'weight' && leaf !== 'bias') return undefined;
    const candidates = new Set<string>();
    for (const node of this.nodesByModule.get(module) ?? []) {
      for (const input of parameterInputs(node, leaf)) {
        const info = this.model.initializers.get(input);
        if (info !== undefined && elementCount(info.dims) === count) candidates.add(input);
      }
    }
    if (candidates.size !== 1) return undefined;
    const [initializer] = candidates;
    return { initializer, transpose: false, dims: this.model.info(initializer).dims };
  }
}

function parameterInputs(node: OnnxNamespace.INodeProto, leaf: 'weight' | 'bias'): string[] {
  const inputs = node.input ?? [];
  const op = node.opType ?? '';
  if (op === 'Gemm' || op === 'Conv') return leaf === 'bias' && inputs[2] ? [inputs[2]] : [];
  if (NORM_OPS.has(op)) return [inputs[leaf === 'weight' ? 1 : 2] ?? ''];
  if (op === 'Gather') return leaf === 'weight' ? [inputs[0] ?? ''] : [];
  if (op === 'Mul') return leaf === 'weight' ? [...inputs] : [];
  if (op === 'Add') return leaf === 'bias' ? [...inputs] : [];
  return [];
}

function moduleOfParameterName(initializer: string): string | undefined {
  return initializer.endsWith('.weight') ? initializer.slice(0, -'.weight'.length) : undefined;
}

function intAttribute(node: OnnxNamespace.INodeProto, name: string): number | undefined {
  const attribute = (node.attribute ?? []).find((candidate) => candidate.name === name);
  return attribute ? toInt(attribute.i) : undefined;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
