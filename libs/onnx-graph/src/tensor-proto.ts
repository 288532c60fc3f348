import type { OnnxNamespace } from './onnx-proto.js';
import { onnx } from './onnx-proto.js';
import { dataTypeOf, literalBytes, type TensorLiteral } from './tensor-literal.js';

/** Where an initializer's bytes live when they are kept out of model.onnx. */
export interface ExternalLocation {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export function tensorProto(name: string, literal: TensorLiteral, external?: ExternalLocation): OnnxNamespace.ITensorProto {
  const base: OnnxNamespace.ITensorProto = {
    name,
    dims: [...literal.dims],
    dataType: dataTypeOf(literal.values.type),
  };
  if (external === undefined) return { ...base, rawData: literalBytes(literal) };
  return {
    ...base,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: external.location },
      { key: 'offset', value: String(external.offset) },
      { key: 'length', value: String(external.length) },
    ],
  };
}
