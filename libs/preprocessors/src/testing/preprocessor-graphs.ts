import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { float32Literal, GraphBuilder, Ops } from '@atelier/onnx-graph';

/**
 * Small ONNX graphs with the input/output names and shapes of the real preprocessor exports, so
 * the runners' wiring (names from metadata, layouts, channel order, shapes, post-processing) is
 * tested without the weights. Their arithmetic is simple enough to predict by hand.
 */

async function save(graph: GraphBuilder, file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, graph.encode().model);
  return file;
}

/** Depth: `depth = mean over channels of the input` ([1,H,W], or [1,1,H,W] with `keepChannel`). */
export async function writeDepthGraph(
  folder: string,
  options: { inputName: string; outputName: string; keepChannel?: boolean; fixed?: { width: number; height: number }; modelType?: string },
): Promise<string> {
  const graph = new GraphBuilder({ name: 'depth' });
  const ops = new Ops(graph);
  const h = options.fixed?.height ?? 'height';
  const w = options.fixed?.width ?? 'width';
  const input = graph.input(options.inputName, 'float32', [1, 3, h, w]);
  const depth = ops.reduceMean(input, [1], options.keepChannel ?? false);
  graph.output(options.outputName, 'float32', options.keepChannel ? [1, 1, h, w] : [1, h, w], depth);
  await mkdir(folder, { recursive: true });
  if (options.modelType) await writeFile(path.join(folder, 'config.json'), JSON.stringify({ model_type: options.modelType }));
  return save(graph, path.join(folder, 'model.onnx'));
}

/**
 * HED-shaped: input [1,3,H,W]; five side outputs at 1, 1/2, 1/4, 1/8, 1/16 of the input, each
 * (R - 128) / 32 average-pooled down, so a flat image gives the same value on every side.
 */
export async function writeHedGraph(folder: string): Promise<string> {
  const graph = new GraphBuilder({ name: 'hed' });
  const ops = new Ops(graph);
  const input = graph.input('image', 'float32', [1, 3, 'height', 'width']);
  let side = ops.div(ops.sub(ops.slice(input, [0], [1], [1]), ops.scalar(128)), ops.scalar(32));
  for (let i = 1; i <= 5; i++) {
    if (i > 1) side = ops.averagePool(side, [2, 2]);
    graph.output(`side_${i}`, 'float32', [1, 1, `h${i}`, `w${i}`], side);
  }
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'config.json'), JSON.stringify({ model_type: 'hed' }));
  return save(graph, path.join(folder, 'model.onnx'));
}

/** PiDiNet-shaped: input [1,3,H,W]; a side output, then the fused edge sigmoid(2 * channel0 - 1) last. */
export async function writePidinetGraph(folder: string): Promise<string> {
  const graph = new GraphBuilder({ name: 'pidinet' });
  const ops = new Ops(graph);
  const input = graph.input('input', 'float32', [1, 3, 'height', 'width']);
  const first = ops.slice(input, [0], [1], [1]);
  graph.output('side_1', 'float32', [1, 1, 'height', 'width'], ops.identity(first));
  const [fused] = graph.node('Sigmoid', [ops.sub(ops.mul(first, ops.scalar(2)), ops.scalar(1))]);
  graph.output('fused', 'float32', [1, 1, 'height', 'width'], fused);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'config.json'), JSON.stringify({ model_type: 'pidinet' }));
  return save(graph, path.join(folder, 'model.onnx'));
}

/** `constant + 0 * mean(input)`: a fixed answer that still consumes the input. */
function constantFromInput(graph: GraphBuilder, ops: Ops, input: string, values: Float32Array, dims: readonly number[]): string {
  const zero = ops.mul(ops.reduceMean(input, [1, 2, 3], false), ops.scalar(0));
  return ops.add(ops.constant(float32Literal(values, dims), 'answer'), zero);
}

/** YOLOX-shaped detector: `images` [1,3,640,640] → `output` [1,8400,85], the given raw head. */
export async function writeYoloxGraph(file: string, head: Float32Array): Promise<string> {
  const graph = new GraphBuilder({ name: 'yolox' });
  const ops = new Ops(graph);
  const input = graph.input('images', 'float32', [1, 3, 640, 640]);
  graph.output('output', 'float32', [1, 8400, 85], constantFromInput(graph, ops, input, head, [1, 8400, 85]));
  return save(graph, file);
}

/** dw-ll_ucoco_384-shaped: `input` [1,3,384,288] → `simcc_x` [1,133,576], `simcc_y` [1,133,768]. */
export async function writeDwposeGraph(file: string, simccX: Float32Array, simccY: Float32Array): Promise<string> {
  const graph = new GraphBuilder({ name: 'dwpose' });
  const ops = new Ops(graph);
  const input = graph.input('input', 'float32', [1, 3, 384, 288]);
  graph.output('simcc_x', 'float32', [1, 133, 576], constantFromInput(graph, ops, input, simccX, [1, 133, 576]));
  graph.output('simcc_y', 'float32', [1, 133, 768], constantFromInput(graph, ops, input, simccY, [1, 133, 768]));
  return save(graph, file);
}
