// ΔW = scale · up · down for one LoRA module, accumulated into the stored layout of the weight it
// targets. Every LoRA flavour reduces to a matrix product once its tensors are seen as 2-D:
// up [out, r(,1,1)] → [out, r]; down [r, in(,kh,kw)] → [r, in·kh·kw]; the product is the PyTorch
// weight [out, in(,kh,kw)] flattened, which MatMul exports store transposed ([in, out]). The
// products run on ONNX Runtime's CPU GEMM: a rank-128 SDXL LoRA is tens of billions of
// multiply-adds, minutes in a JavaScript loop and seconds there.
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import type { WeightLayout, WeightSlot } from './model-graph.js';
import { elementCount } from './onnx-model.js';

export interface LoraMatrix {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export class LoraShapeError extends Error {}

/** Checks the pair against the slot; returns [out, rank, columns]. */
export function loraDimensions(up: Pick<LoraMatrix, 'shape'>, down: Pick<LoraMatrix, 'shape'>, slot: WeightSlot): [number, number, number] {
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

const sessions = new Map<WeightLayout, Promise<ort.InferenceSession>>();

/** up·down, or (up·down)ᵀ for weights stored [in, out]; one session per layout, kept for the process. */
function productSession(layout: WeightLayout): Promise<ort.InferenceSession> {
  let session = sessions.get(layout);
  if (session === undefined) {
    const g = new GraphBuilder({ name: `lora_product_${layout}` });
    const ops = new Ops(g);
    const up = g.input('up', 'float32', ['out', 'rank']);
    const down = g.input('down', 'float32', ['rank', 'columns']);
    const product = layout === 'out-in' ? ops.matMul(up, down) : ops.matMul(ops.transpose(down, [1, 0]), ops.transpose(up, [1, 0]));
    g.output('product', 'float32', layout === 'out-in' ? ['out', 'columns'] : ['columns', 'out'], product);
    session = ort.InferenceSession.create(g.encode().model, { executionProviders: ['cpu'] });
    sessions.set(layout, session);
  }
  return session;
}

export async function addLoraDelta(target: Float32Array, up: LoraMatrix, down: LoraMatrix, slot: WeightSlot, scale: number): Promise<void> {
  const [out, rank, columns] = loraDimensions(up, down, slot);
  const session = await productSession(slot.layout);
  const feeds = { up: new ort.Tensor('float32', up.values, [out, rank]), down: new ort.Tensor('float32', down.values, [rank, columns]) };
  const results = await session.run(feeds);
  const product = results.product;
  try {
    const values = product.data as Float32Array;
    for (let i = 0; i < values.length; i++) target[i] += scale * values[i];
  } finally {
    product.dispose();
  }
}
