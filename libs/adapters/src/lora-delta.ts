// ΔW = scale · up · down for one LoRA module, accumulated straight into the stored layout of the
// weight it targets. Every LoRA flavour reduces to a matrix product once its tensors are seen as
// 2-D: up [out, r(,1,1)] → [out, r]; down [r, in(,kh,kw)] → [r, in·kh·kw]; the product is the
// PyTorch weight [out, in(,kh,kw)] flattened, which MatMul exports store transposed.
import { elementCount } from './onnx-model.js';
import type { WeightSlot } from './model-graph.js';

export interface LoraMatrix {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export class LoraShapeError extends Error {}

/** Checks the pair against the slot; returns [out, rank, columns]. */
export function loraDimensions(up: LoraMatrix, down: LoraMatrix, slot: WeightSlot): [number, number, number] {
  const rank = down.shape[0];
  const out = up.shape[0];
  const columns = elementCount(down.shape.slice(1));
  const describe = `up [${up.shape.join(', ')}] · down [${down.shape.join(', ')}] onto ${slot.initializer} [${slot.dims.join(', ')}]`;
  if (rank === undefined || out === undefined || elementCount(up.shape.slice(1)) !== rank) throw new LoraShapeError(`rank mismatch: ${describe}`);
  const fits =
    slot.layout === 'out-in'
      ? slot.dims[0] === out && elementCount(slot.dims.slice(1)) === columns
      : slot.dims.length === 2 && slot.dims[0] === columns && slot.dims[1] === out;
  if (!fits) throw new LoraShapeError(`shape mismatch: ${describe}`);
  return [out, rank, columns];
}

export function addLoraDelta(target: Float32Array, up: LoraMatrix, down: LoraMatrix, slot: WeightSlot, scale: number): void {
  const [out, rank, columns] = loraDimensions(up, down, slot);
  const u = up.values;
  const d = down.values;
  if (slot.layout === 'out-in') {
    for (let o = 0; o < out; o++) {
      const row = o * columns;
      for (let k = 0; k < rank; k++) {
        const a = scale * u[o * rank + k];
        if (a === 0) continue;
        const from = k * columns;
        for (let c = 0; c < columns; c++) target[row + c] += a * d[from + c];
      }
    }
    return;
  }
  for (let c = 0; c < columns; c++) {
    const row = c * out;
    for (let k = 0; k < rank; k++) {
      const a = scale * d[k * columns + c];
      if (a === 0) continue;
      for (let o = 0; o < out; o++) target[row + o] += a * u[o * rank + k];
    }
  }
}
