export { attr, type AttributeValue, type Attributes } from './attributes.js';
export { BYTES_PER_ELEMENT, ONNX_DATA_TYPE, type ElementType } from './element-type.js';
export type { ExternalDataOptions } from './external-data.js';
export { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16Bits, toFloat16Bits } from './float16.js';
export {
  GraphBuilder,
  type Dim,
  type EncodeOptions,
  type EncodedModel,
  type GraphBuilderOptions,
  type NodeOptions,
  type ValueDeclaration,
} from './graph-builder.js';
export { onnx, type OnnxNamespace } from './onnx-proto.js';
export { Ops, type Int64Operand } from './ops.js';
export { saveModel, type SaveModelOptions, type SavedModel } from './save-model.js';
export {
  elementCount,
  float32Literal,
  int64Literal,
  tensorLiteral,
  type TensorLiteral,
  type TensorValues,
} from './tensor-literal.js';
export { tensorProto } from './tensor-proto.js';
export { bufferSource, fileSource, inspectOnnxModel, OnnxInspectError, type ByteSource, type OnnxModelSignature, type OnnxValueSignature } from './inspect-model.js';
