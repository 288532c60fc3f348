import { attributeProto, type Attributes } from './attributes.js';
import type { ElementType } from './element-type.js';
import { planExternalData, type ExternalDataOptions } from './external-data.js';
import type { OnnxNamespace } from './onnx-proto.js';
import { onnx } from './onnx-proto.js';
import { dataTypeOf, type TensorLiteral } from './tensor-literal.js';
import { tensorProto } from './tensor-proto.js';

/** A fixed size, or a symbolic name such as 'batch_size' that the runtime resolves per call. */
export type Dim = number | string;

export interface ValueDeclaration {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly Dim[];
}

export interface NodeOptions {
  /** Output count (names generated) or exact output names. Defaults to one generated output. */
  readonly outputs?: number | readonly string[];
  /** Name hint for the node itself; made unique. */
  readonly name?: string;
  readonly domain?: string;
}

export interface GraphBuilderOptions {
  readonly name?: string;
  readonly opset?: number;
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly docString?: string;
}

export interface EncodeOptions {
  readonly externalData?: ExternalDataOptions;
}

export interface EncodedModel {
  readonly model: Uint8Array;
  /** Bytes of the side file named by `externalData.location`; null when every tensor stayed inline. */
  readonly externalData: Uint8Array | null;
}

/**
 * Accumulates one ONNX graph (default domain only) and serialises it. Every value and node name
 * is unique, which ONNX requires for values and which keeps error messages readable for nodes.
 */
export class GraphBuilder {
  readonly opset: number;
  private readonly graphName: string;
  private readonly irVersion: number;
  private readonly producerName: string;
  private readonly docString: string;
  private readonly usedNames = new Set<string>();
  private readonly producedValues = new Set<string>();
  private readonly inputs: ValueDeclaration[] = [];
  private readonly outputs: ValueDeclaration[] = [];
  private readonly initializers: { name: string; literal: TensorLiteral }[] = [];
  private readonly nodes: OnnxNamespace.INodeProto[] = [];

  constructor(options: GraphBuilderOptions = {}) {
    this.graphName = options.name ?? 'graph';
    this.opset = options.opset ?? 17;
    this.irVersion = options.irVersion ?? 8;
    this.producerName = options.producerName ?? 'atelier-onnx-graph';
    this.docString = options.docString ?? '';
  }

  /** `hint` itself when free, otherwise `hint_1`, `hint_2`, ... */
  uniqueName(hint: string): string {
    let candidate = hint;
    for (let i = 1; this.usedNames.has(candidate); i++) candidate = `${hint}_${i}`;
    this.usedNames.add(candidate);
    return candidate;
  }

  private claim(name: string): string {
    if (name === '') throw new Error('empty value name');
    if (this.usedNames.has(name)) throw new Error(`name "${name}" is already used in graph ${this.graphName}`);
    this.usedNames.add(name);
    return name;
  }

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.claim(name);
    this.producedValues.add(name);
    this.inputs.push({ name, type, dims: [...dims] });
    return name;
  }

  /**
   * Declares a graph output. With `from`, the value `from` is exposed under `name` (through an
   * Identity node, which runtimes fold away); without it, `name` must already be produced.
   */
  output(name: string, type: ElementType, dims: readonly Dim[], from?: string): void {
    if (from !== undefined && from !== name) this.node('Identity', [from], {}, { outputs: [name] });
    this.outputs.push({ name, type, dims: [...dims] });
  }

  initializer(literal: TensorLiteral, hint = 'const'): string {
    const name = this.uniqueName(hint);
    this.producedValues.add(name);
    this.initializers.push({ name, literal });
    return name;
  }

  /** Adds a node; `''` in `inputs` marks an omitted optional input. Returns the output names. */
  node(opType: string, inputs: readonly string[], attributes: Attributes = {}, options: NodeOptions = {}): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.producedValues.has(input)) {
        throw new Error(`${opType} input "${input}" is not produced by anything in graph ${this.graphName}`);
      }
    }
    const requested = options.outputs ?? 1;
    const hint = opType.toLowerCase();
    const outputs =
      typeof requested === 'number'
        ? Array.from({ length: requested }, () => this.uniqueName(hint))
        : requested.map((name) => this.claim(name));
    for (const output of outputs) this.producedValues.add(output);

    this.nodes.push({
      name: this.uniqueName(`${options.name ?? opType}_node`),
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attributeProto(key, value)),
    });
    return outputs;
  }

  toModelProto(options: EncodeOptions = {}): { proto: OnnxNamespace.IModelProto; externalData: Uint8Array | null } {
    for (const output of this.outputs) {
      if (!this.producedValues.has(output.name)) throw new Error(`graph output "${output.name}" is never produced`);
    }
    const plan = options.externalData ? planExternalData(this.initializers, options.externalData) : null;
    const proto: OnnxNamespace.IModelProto = {
      irVersion: this.irVersion,
      producerName: this.producerName,
      docString: this.docString,
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
        initializer: this.initializers.map(({ name, literal }) => tensorProto(name, literal, plan?.locations.get(name))),
      },
    };
    return { proto, externalData: plan && plan.locations.size > 0 ? plan.bytes : null };
  }

  encode(options: EncodeOptions = {}): EncodedModel {
    const { proto, externalData } = this.toModelProto(options);
    return { model: onnx.ModelProto.encode(proto).finish(), externalData };
  }
}

function valueInfo(value: ValueDeclaration): OnnxNamespace.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: dataTypeOf(value.type),
        shape: { dim: value.dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}
