import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GraphBuilder, Ops, float32Literal, type Dim } from '@atelier/onnx-graph';

/**
 * Small ONNX graphs with the input/output names and shapes of the real exports of each registry
 * kind (ControlNet, upscaler, face detector/restorer, SAM encoder/decoder, preprocessors), for
 * tests of manifest derivation, import, sync and routing. Their arithmetic is trivial; a weight
 * initializer is included so "weights are skipped, not read" is exercised.
 */

export interface ControlNetGraphOptions {
  /** encoder_hidden_states width (768 SD 1.x, 1024 SD 2.x, 2048 SDXL); a string makes it dynamic. */
  readonly textWidth?: Dim;
  readonly conditioningScale?: boolean;
  /** SDXL inputs `text_embeds` and `time_ids`. */
  readonly xl?: boolean;
  /** Leave `controlnet_cond` out (a graph of the wrong kind). */
  readonly withoutCond?: boolean;
  /** Bytes of a dummy weight initializer. */
  readonly weightBytes?: number;
}

function weight(graph: GraphBuilder, ops: Ops, value: string, bytes: number): string {
  const count = Math.max(1, Math.floor(bytes / 4));
  const scale = ops.reduce('ReduceMean', graph.initializer(float32Literal(new Float32Array(count).fill(1), [count]), 'weight'), [0], true);
  return ops.mul(value, scale);
}

/** A ControlNet: `sample`, `timestep`, `encoder_hidden_states`, `controlnet_cond` (+ scale, SDXL inputs) → residuals. */
export function controlNetGraph(options: ControlNetGraphOptions = {}): Uint8Array {
  const graph = new GraphBuilder({ name: 'controlnet' });
  const ops = new Ops(graph);
  const sample = graph.input('sample', 'float32', ['batch', 4, 'height', 'width']);
  graph.input('timestep', 'float32', [1]);
  graph.input('encoder_hidden_states', 'float32', ['batch', 77, options.textWidth ?? 768]);
  if (!options.withoutCond) graph.input('controlnet_cond', 'float32', ['batch', 3, 'image_height', 'image_width']);
  if (options.conditioningScale ?? true) graph.input('conditioning_scale', 'float32', [1]);
  if (options.xl) {
    graph.input('text_embeds', 'float32', ['batch', 1280]);
    graph.input('time_ids', 'float32', ['batch', 6]);
  }
  const residual = weight(graph, ops, sample, options.weightBytes ?? 4096);
  for (let i = 0; i < 3; i++) graph.output(`down_block_res_sample_${i}`, 'float32', ['batch', 4, 'height', 'width'], ops.identity(residual));
  graph.output('mid_block_res_sample', 'float32', ['batch', 4, 'height', 'width'], ops.identity(residual));
  return graph.encode().model;
}

/** An ESRGAN-style upscaler: `input` [1,3,h,w] → `output` [1,3,s·h,s·w] (nearest); `side` fixes h and w. */
export function upscalerGraph(options: { scale: number; side?: number; inputName?: string; outputRank?: number }): Uint8Array {
  const graph = new GraphBuilder({ name: 'upscaler' });
  const ops = new Ops(graph);
  const side = options.side;
  const input = graph.input(options.inputName ?? 'input', 'float32', [1, 3, side ?? 'height', side ?? 'width']);
  const up = ops.resize(input, [1, 1, options.scale, options.scale], { mode: 'nearest', coordinateTransformationMode: 'asymmetric' });
  const dims: Dim[] = options.outputRank === 3 ? [3, side ? side * options.scale : 'out_height', side ? side * options.scale : 'out_width'] : [1, 3, side ? side * options.scale : 'out_height', side ? side * options.scale : 'out_width'];
  graph.output('output', 'float32', dims, options.outputRank === 3 ? ops.squeeze(weight(graph, ops, up, 64), [0]) : weight(graph, ops, up, 64));
  return graph.encode().model;
}

/** A RetinaFace/SCRFD-shaped detector: `input` [1,3,640,640] → `boxes`, `landmarks`. */
export function faceDetectorGraph(): Uint8Array {
  const graph = new GraphBuilder({ name: 'face_detector' });
  const ops = new Ops(graph);
  const input = graph.input('input', 'float32', [1, 3, 640, 640]);
  const mean = ops.reduce('ReduceMean', input, [1, 2, 3], false);
  graph.output('boxes', 'float32', [1], ops.identity(mean));
  graph.output('landmarks', 'float32', [1], ops.identity(mean));
  return graph.encode().model;
}

/** CodeFormer-shaped: `input` [1,3,512,512] and `weight` [1] → `output` [1,3,512,512]. */
export function faceRestorerGraph(options: { fidelity?: boolean } = {}): Uint8Array {
  const graph = new GraphBuilder({ name: 'face_restorer' });
  const ops = new Ops(graph);
  const input = graph.input('input', 'float32', [1, 3, 512, 512]);
  const out = options.fidelity ?? true ? ops.mul(input, graph.input('weight', 'float32', [1])) : ops.identity(input);
  graph.output('output', 'float32', [1, 3, 512, 512], out);
  return graph.encode().model;
}

/** SAM's image encoder: `x` [1,3,1024,1024] → `image_embeddings`. */
export function samEncoderGraph(): Uint8Array {
  const graph = new GraphBuilder({ name: 'sam_encoder' });
  const ops = new Ops(graph);
  const input = graph.input('x', 'float32', [1, 3, 1024, 1024]);
  graph.output('image_embeddings', 'float32', [1, 'channels', 64, 64], ops.averagePool(input, [16, 16]));
  return graph.encode().model;
}

/** SAM's prompt decoder, official layout (`point_coords`…) or transformers.js (`input_points`…). */
export function samDecoderGraph(layout: 'sam' | 'transformers' = 'sam'): Uint8Array {
  const graph = new GraphBuilder({ name: 'sam_decoder' });
  const ops = new Ops(graph);
  const embeddings = graph.input('image_embeddings', 'float32', [1, 'channels', 64, 64]);
  if (layout === 'sam') {
    graph.input('point_coords', 'float32', [1, 'points', 2]);
    graph.input('point_labels', 'float32', [1, 'points']);
    graph.input('mask_input', 'float32', [1, 1, 256, 256]);
    graph.input('has_mask_input', 'float32', [1]);
    graph.input('orig_im_size', 'float32', [2]);
    const mean = ops.reduce('ReduceMean', embeddings, [1], true);
    graph.output('masks', 'float32', [1, 1, 64, 64], ops.identity(mean));
    graph.output('iou_predictions', 'float32', [1, 1, 1, 1], ops.reduce('ReduceMean', mean, [2, 3], true));
    graph.output('low_res_masks', 'float32', [1, 1, 64, 64], ops.identity(mean));
  } else {
    graph.input('input_points', 'float32', [1, 1, 'points', 2]);
    graph.input('input_labels', 'int64', [1, 1, 'points']);
    const mean = ops.reduce('ReduceMean', embeddings, [1], true);
    graph.output('pred_masks', 'float32', [1, 1, 64, 64], ops.identity(mean));
    graph.output('iou_scores', 'float32', [1, 1, 1, 1], ops.reduce('ReduceMean', mean, [2, 3], true));
  }
  return graph.encode().model;
}

/** Depth Anything-shaped: `pixel_values` [1,3,h,w] → `predicted_depth` [1,h,w]. */
export function depthGraph(): Uint8Array {
  const graph = new GraphBuilder({ name: 'depth' });
  const ops = new Ops(graph);
  const input = graph.input('pixel_values', 'float32', [1, 3, 'height', 'width']);
  graph.output('predicted_depth', 'float32', [1, 'height', 'width'], ops.reduce('ReduceMean', input, [1], false));
  return graph.encode().model;
}

/** DWPose's two graphs: YOLOX `images` → `output`, and the pose model `input` → `simcc_x`, `simcc_y`. */
export function openposeGraphs(): { detector: Uint8Array; pose: Uint8Array } {
  const detector = new GraphBuilder({ name: 'yolox' });
  const detectorOps = new Ops(detector);
  const images = detector.input('images', 'float32', [1, 3, 640, 640]);
  detector.output('output', 'float32', [1, 1, 1], detectorOps.squeeze(detectorOps.reduce('ReduceMean', images, [1, 2, 3], true), [3]));
  const pose = new GraphBuilder({ name: 'dwpose' });
  const poseOps = new Ops(pose);
  const input = pose.input('input', 'float32', [1, 3, 384, 288]);
  const mean = poseOps.reduce('ReduceMean', input, [1, 2, 3], true);
  pose.output('simcc_x', 'float32', [1, 1, 1], poseOps.squeeze(mean, [3]));
  pose.output('simcc_y', 'float32', [1, 1, 1], poseOps.squeeze(poseOps.identity(mean), [3]));
  return { detector: detector.encode().model, pose: pose.encode().model };
}

/** A ControlNet folder as MODELS_DIR holds one: `model.onnx` and, when given, `config.json`. */
export async function writeControlNetFolder(dir: string, options: ControlNetGraphOptions & { config?: Record<string, unknown> } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), controlNetGraph(options));
  if (options.config) await writeFile(path.join(dir, 'config.json'), JSON.stringify(options.config));
  return dir;
}
