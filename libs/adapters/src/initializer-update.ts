// Replacing an initializer's values inside a decoded model: the new float32 values are rounded
// into the initializer's own element type (an fp16 export stays fp16), and the tensor is pointed
// at its new bytes, inline or in an external file.
import { onnx, type OnnxNamespace } from '@atelier/onnx-graph';
import { elementCount, type OnnxModel } from './onnx-model.js';
import { encodeFloats, floatTypeOf } from './tensor-data.js';

/** New values of one initializer: same shape, or with `dims` when the shape changes (token tables). */
export type InitializerUpdate = Float32Array | { readonly data: Float32Array; readonly dims: readonly number[] };

/** A Map works; refits pass a lazy source so each tensor is converted only when it is written. */
export type InitializerUpdates = Pick<ReadonlyMap<string, InitializerUpdate>, 'get' | 'has' | 'keys'>;

export interface EncodedUpdate {
  readonly bytes: Uint8Array;
  readonly dims: readonly number[];
}

export function encodeUpdate(model: OnnxModel, name: string, update: InitializerUpdate): EncodedUpdate {
  const info = model.info(name);
  const type = floatTypeOf(info.dataType, `initializer ${name}`);
  const data = update instanceof Float32Array ? update : update.data;
  const dims = update instanceof Float32Array ? info.dims : update.dims;
  if (data.length !== elementCount(dims)) {
    throw new Error(`update of ${name}: ${data.length} values do not fill shape [${dims.join(', ')}]`);
  }
  return { bytes: encodeFloats(data, type), dims: [...dims] };
}

function clearValues(tensor: OnnxNamespace.ITensorProto): void {
  tensor.floatData = [];
  tensor.int32Data = [];
  tensor.doubleData = [];
  tensor.int64Data = [];
  tensor.uint64Data = [];
}

export function setInline(tensor: OnnxNamespace.ITensorProto, bytes: Uint8Array, dims?: readonly number[]): void {
  clearValues(tensor);
  tensor.rawData = bytes;
  tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  tensor.externalData = [];
  if (dims !== undefined) tensor.dims = [...dims];
}

export function setExternal(
  tensor: OnnxNamespace.ITensorProto,
  place: { readonly location: string; readonly offset: number; readonly length: number },
  dims?: readonly number[],
): void {
  clearValues(tensor);
  tensor.rawData = new Uint8Array(0);
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: 'location', value: place.location },
    { key: 'offset', value: String(place.offset) },
    { key: 'length', value: String(place.length) },
  ];
  if (dims !== undefined) tensor.dims = [...dims];
}

/** Every update names an initializer of the model; a typo must not pass as "merged". */
export function checkUpdateNames(model: OnnxModel, updates: InitializerUpdates): void {
  for (const name of updates.keys()) model.info(name);
}
