// onnx-proto is a CommonJS bundle whose named exports Node's ESM loader cannot see, so the
// namespace is taken from the default export and re-exported with its static types.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxNamespace } from 'onnx-proto';

export const onnx: typeof OnnxNamespace = onnxProto.onnx;
export type { OnnxNamespace };
