// Turning a tensor description into its bytes: only contiguous tensors are accepted, since a
// strided view would need a gather and is never what a state dict holds.
import { dtypeByteSize, elementCount } from '../safetensors-dtype.js';
import type { TensorEntry } from '../safetensors.js';
import { CheckpointError } from '../pickle/errors.js';
import type { TorchTensor } from '../pickle/values.js';

export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  if (shape.includes(0)) return true;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    // A dimension of size 1 is never stepped over, so its stride is irrelevant.
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** The tensor's bytes, little-endian: a view into the storage, or a swapped copy. */
export function tensorData(name: string, tensor: TorchTensor, bigEndian: boolean): TensorEntry {
  const { storage, shape, stride, storageOffset } = tensor;
  if (!isContiguous(shape, stride)) {
    throw new CheckpointError(`tensor "${name}" is not contiguous (size [${shape.join(', ')}], stride [${stride.join(', ')}]); save it with .contiguous()`);
  }
  const data = storage.data;
  if (data === undefined) throw new CheckpointError(`tensor "${name}": storage "${storage.key}" has no data in the file`);
  const size = dtypeByteSize(storage.dtype);
  let count: number;
  try {
    count = elementCount(shape);
  } catch (error) {
    throw new CheckpointError(`tensor "${name}": ${(error as Error).message}`);
  }
  const begin = storageOffset * size;
  const end = begin + count * size;
  if (end > data.byteLength) {
    throw new CheckpointError(
      `tensor "${name}": elements [${storageOffset}, ${storageOffset + count}) run past storage "${storage.key}" (${data.byteLength / size} elements)`,
    );
  }
  const bytes = data.subarray(begin, end);
  return { dtype: storage.dtype, shape: [...shape], data: bigEndian && size > 1 ? swapped(bytes, size) : bytes };
}

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  }
  return out;
}
