import type { OnnxNamespace } from './onnx-proto.js';
import { onnx } from './onnx-proto.js';
import { tensorProto } from './tensor-proto.js';
import type { TensorLiteral } from './tensor-literal.js';

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: TensorLiteral };

export type Attributes = Readonly<Record<string, AttributeValue>>;

function checkedInt(value: number): number {
  if (!Number.isSafeInteger(value)) throw new Error(`integer attribute expected, got ${value}`);
  return value;
}

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value: checkedInt(value) }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value: value.map(checkedInt) }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value: [...value] }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  tensor: (value: TensorLiteral): AttributeValue => ({ kind: 'tensor', value }),
};

const Type = onnx.AttributeProto.AttributeType;

export function attributeProto(name: string, value: AttributeValue): OnnxNamespace.IAttributeProto {
  switch (value.kind) {
    case 'int':
      return { name, type: Type.INT, i: value.value };
    case 'float':
      return { name, type: Type.FLOAT, f: value.value };
    case 'ints':
      return { name, type: Type.INTS, ints: [...value.value] };
    case 'floats':
      return { name, type: Type.FLOATS, floats: [...value.value] };
    case 'string':
      return { name, type: Type.STRING, s: new TextEncoder().encode(value.value) };
    case 'tensor':
      return { name, type: Type.TENSOR, t: tensorProto('', value.value) };
  }
}
