/** Tensor element types the builder can declare, store and cast to. */
export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';

/** onnx.TensorProto.DataType codes. */
export const ONNX_DATA_TYPE: Readonly<Record<ElementType, number>> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

export const BYTES_PER_ELEMENT: Readonly<Record<ElementType, number>> = {
  float32: 4,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
};
