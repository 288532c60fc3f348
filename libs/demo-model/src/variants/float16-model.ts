import { fromFloat16Bits, toFloat16Bits } from '@atelier/onnx-graph';
import { onnx, type OnnxNamespace } from '@atelier/onnx-graph';
import { tensorLiteral } from '@atelier/onnx-graph';
import { tensorProto } from '@atelier/onnx-graph';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/**
 * Float16 parts p0, p1, p2 and an exponent e with Σ p_i = v · 2^e for every value v of a float32
 * tensor: scaled so the largest |v| lands in [2^14, 2^15), three 11-bit pieces cover float32's 24
 * bits, so (p0 + p1) + p2 rebuilds v bit for bit in float32 for every value within 2^15 of the
 * largest (smaller ones to within 2^-24 of the largest; the demo's tables have no such values).
 * Values exact in float16 keep one part and e = 0.
 */
export function splitToFloat16(values: Float32Array): { readonly parts: Uint16Array[]; readonly exponent: number } {
  const direct = toFloat16Bits(values);
  if (fromFloat16Bits(direct).every((v, i) => v === values[i])) return { parts: [direct], exponent: 0 };
  const largest = values.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
  const exponent = 14 - Math.floor(Math.log2(largest));
  let residual = Float64Array.from(values, (v) => v * 2 ** exponent);
  const parts: Uint16Array[] = [];
  for (let i = 0; i < 3; i++) {
    const part = toFloat16Bits(residual);
    const restored = fromFloat16Bits(part);
    parts.push(part);
    residual = residual.map((v, j) => v - restored[j]);
  }
  return { parts, exponent };
}

/** Powers of two whose product is 2^exponent, each exactly representable in float16 (2^-24 .. 2^15). */
function float16PowerFactors(exponent: number): number[] {
  const factors: number[] = [];
  for (let left = exponent; left !== 0; ) {
    const step = Math.max(-24, Math.min(15, left));
    factors.push(2 ** step);
    left -= step;
  }
  return factors;
}

type NodeProto = OnnxNamespace.INodeProto;

/**
 * The same model with float16 wherever a float32 tensor meets the outside: graph inputs and
 * outputs are float16 (Cast in and out), every float32 initializer is stored as float16 and cast
 * back (split into exact parts where float16 alone would round). The arithmetic stays float32, so
 * the demo's masks and schedule are unchanged; what changes is what a real fp16 export changes for
 * its caller: the I/O types and the rounding of everything fed in and read out.
 */
export function toFloat16Model(model: OnnxNamespace.IModelProto): OnnxNamespace.IModelProto {
  const graph = model.graph;
  if (!graph) throw new Error('model has no graph');
  const nodes = graph.node ?? [];
  const used = new Set<string>();
  for (const value of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.initializer ?? [])]) used.add(value.name ?? '');
  for (const node of nodes) for (const name of [...(node.output ?? []), node.name ?? '']) used.add(name);
  const fresh = (hint: string): string => {
    let name = hint;
    for (let i = 1; used.has(name); i++) name = `${hint}_${i}`;
    used.add(name);
    return name;
  };
  const node = (opType: string, inputs: string[], output: string, attribute: OnnxNamespace.IAttributeProto[] = []): NodeProto => ({
    name: fresh(`${output}_${opType.toLowerCase()}`),
    opType,
    domain: '',
    input: inputs,
    output: [output],
    attribute,
  });
  const cast = (input: string, output: string, to: number): NodeProto =>
    node('Cast', [input], output, [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }]);

  const prologue: NodeProto[] = [];
  const epilogue: NodeProto[] = [];
  const renamed = new Map<string, string>();
  const retype = (value: OnnxNamespace.IValueInfoProto): OnnxNamespace.IValueInfoProto => ({
    ...value,
    type: { tensorType: { ...value.type?.tensorType, elemType: FLOAT16 } },
  });
  const isFloat = (value: OnnxNamespace.IValueInfoProto): boolean => value.type?.tensorType?.elemType === FLOAT;

  const inputs = (graph.input ?? []).map((value) => {
    if (!isFloat(value)) return value;
    const name = value.name ?? '';
    const internal = fresh(`${name}_float32`);
    prologue.push(cast(name, internal, FLOAT));
    renamed.set(name, internal);
    return retype(value);
  });

  const outputs = (graph.output ?? []).map((value) => {
    if (!isFloat(value)) return value;
    const name = value.name ?? '';
    const internal = fresh(`${name}_float32`);
    renamed.set(name, internal);
    epilogue.push(cast(internal, name, FLOAT16));
    return retype(value);
  });

  const initializers = (graph.initializer ?? []).flatMap((tensor) => {
    if (tensor.dataType !== FLOAT) return [tensor];
    const name = tensor.name ?? '';
    const dims = (tensor.dims ?? []).map(Number);
    const raw = tensor.rawData ?? new Uint8Array(0);
    const values = new Float32Array(raw.slice().buffer, 0, raw.byteLength / 4);
    const { parts, exponent } = splitToFloat16(values);
    const stored = parts.map((part, i) => tensorProto(fresh(`${name}_float16_${i}`), tensorLiteral({ type: 'float16', data: part }, dims)));
    const scales = float16PowerFactors(-exponent).map((factor) =>
      tensorProto(fresh(`${name}_scale`), tensorLiteral({ type: 'float16', data: toFloat16Bits([factor]) }, [])),
    );
    if (stored.length === 1 && scales.length === 0) {
      prologue.push(cast(stored[0].name ?? '', name, FLOAT));
      return stored;
    }
    const asFloat = (tensor: OnnxNamespace.ITensorProto): string => {
      const output = fresh(`${tensor.name ?? ''}_float32`);
      prologue.push(cast(tensor.name ?? '', output, FLOAT));
      return output;
    };
    // ((p0 + p1) + p2) · 2^-e, every step exact in float32; the last step writes the original name.
    const steps = [...stored.slice(1).map((part) => ['Add', part] as const), ...scales.map((scale) => ['Mul', scale] as const)];
    let value = asFloat(stored[0]);
    steps.forEach(([op, operand], i) => {
      const output = i === steps.length - 1 ? name : fresh(`${name}_partial`);
      prologue.push(node(op, [value, asFloat(operand)], output));
      value = output;
    });
    return [...stored, ...scales];
  });

  const rename = (name: string): string => renamed.get(name) ?? name;
  const body = nodes.map((original) => ({ ...original, input: (original.input ?? []).map(rename), output: (original.output ?? []).map(rename) }));
  return {
    ...model,
    graph: { ...graph, input: inputs, output: outputs, initializer: initializers, node: [...prologue, ...body, ...epilogue] },
  };
}
