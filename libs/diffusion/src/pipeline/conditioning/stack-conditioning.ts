import * as ort from 'onnxruntime-node';
import { UnsupportedRequestError } from '../errors.js';
import type { UnetConditioning } from './types.js';

type RowData = Float32Array | Uint16Array | Int32Array | BigInt64Array | Float64Array;

/**
 * Several requests' conditionings as one UNet batch. Each part holds its own rows as
 * `batchRows` lays them out ([negative × n, positive × n] with guidance, else [positive × n]);
 * the stack keeps the halves apart: [negatives of every part, positives of every part], so
 * the guidance step (uncond = row i, cond = row half + i) pairs each image with its own prompt.
 */
export function stackConditioning(parts: readonly UnetConditioning[], useGuidance: boolean): UnetConditioning {
  if (parts.length === 1) return parts[0];
  const stackTensor = (tensors: readonly ort.Tensor[], name: string): ort.Tensor => {
    const [first] = tensors;
    const rowShape = first.dims.slice(1);
    for (const tensor of tensors) {
      if (tensor.type !== first.type || tensor.dims.slice(1).join('×') !== rowShape.join('×')) {
        throw new UnsupportedRequestError('batch', `${name} of ${tensor.dims.join('×')} cannot join a batch of ${first.dims.join('×')}`);
      }
    }
    const halves = useGuidance ? 2 : 1;
    const rows = tensors.reduce((sum, tensor) => sum + tensor.dims[0], 0);
    const rowSize = rowShape.reduce((product, size) => product * size, 1);
    const data = tensors.map((tensor) => tensor.data as RowData);
    const Constructor = data[0].constructor as new (length: number) => RowData;
    const out = new Constructor(rows * rowSize);
    let offset = 0;
    for (let half = 0; half < halves; half++) {
      for (const [index, tensor] of tensors.entries()) {
        const halfSize = (tensor.dims[0] / halves) * rowSize;
        (out as Float32Array).set((data[index] as Float32Array).subarray(half * halfSize, (half + 1) * halfSize), offset);
        offset += halfSize;
      }
    }
    return new ort.Tensor(first.type, out, [rows, ...rowShape]);
  };
  const names = Object.keys(parts[0].extra);
  return {
    encoderHiddenStates: stackTensor(
      parts.map((part) => part.encoderHiddenStates),
      'encoder_hidden_states',
    ),
    extra: Object.fromEntries(names.map((name) => [name, stackTensor(parts.map((part) => part.extra[name]), name)])),
  };
}
