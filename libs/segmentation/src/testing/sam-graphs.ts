import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attr, float32Literal, GraphBuilder, Ops } from '@atelier/onnx-graph';

/**
 * Small ONNX graphs with the input/output names, shapes and dtypes of the real SAM exports, so the
 * runner's wiring (layout detection, prompt encoding, coordinate frames, mask post-processing,
 * candidate choice) is tested without weights. Their answers are simple enough to predict:
 * the encoder averages 16x16 patches and mixes channels with fixed weights; the decoders draw
 * discs around the first prompt point in the 1024 frame.
 */

async function save(graph: GraphBuilder, file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, graph.encode().model);
  return file;
}

/** Channel-mixing weight of output channel k from input channel c: small, fixed, varied. */
export function encoderWeight(k: number, c: number): number {
  return (((k * 3 + c) % 7) - 3) / 4;
}

/**
 * Encoder: `x` or `pixel_values` [1,3,1024,1024] → `image_embeddings` [1,256,64,64] =
 * Σ_c encoderWeight(k, c) · mean of input channel c over each 16x16 patch. With `positional`,
 * also `image_positional_embeddings` [1,256,64,64] (transformers.js encoders have it).
 */
export async function writeSamEncoderGraph(file: string, options: { inputName: 'x' | 'pixel_values'; positional?: boolean }): Promise<string> {
  const graph = new GraphBuilder({ name: 'sam-encoder' });
  const ops = new Ops(graph);
  const input = graph.input(options.inputName, 'float32', [1, 3, 1024, 1024]);
  const pooled = ops.averagePool(input, [16, 16]);
  const weights = new Float32Array(256 * 3);
  for (let k = 0; k < 256; k++) for (let c = 0; c < 3; c++) weights[k * 3 + c] = encoderWeight(k, c);
  const [embeddings] = graph.node('Conv', [pooled, ops.constant(float32Literal(weights, [256, 3, 1, 1]), 'mix')]);
  graph.output('image_embeddings', 'float32', [1, 256, 64, 64], embeddings);
  if (options.positional) graph.output('image_positional_embeddings', 'float32', [1, 256, 64, 64], ops.add(ops.mul(embeddings, ops.scalar(0)), ops.scalar(0.25)));
  return save(graph, file);
}

/** Low-resolution pixel centres in the 1024 frame, as SAM's bilinear upscaling places them. */
function lowResGrid(ops: Ops): { gx: string; gy: string } {
  const gx = new Float32Array(256 * 256);
  const gy = new Float32Array(256 * 256);
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      gx[y * 256 + x] = (x + 0.5) * 4;
      gy[y * 256 + x] = (y + 0.5) * 4;
    }
  }
  return { gx: ops.constant(float32Literal(gx, [256, 256]), 'grid_x'), gy: ops.constant(float32Literal(gy, [256, 256]), 'grid_y') };
}

/**
 * [1,M,256,256] logits 8·(R² − d²)/R² for each radius R (1024-frame pixels), d the distance from
 * (px, py) [1]: positive inside the disc of radius R around the point.
 */
function discs(ops: Ops, px: string, py: string, radii: readonly number[], consume: string): string {
  const { gx, gy } = lowResGrid(ops);
  const dx = ops.sub(gx, px);
  const dy = ops.sub(gy, py);
  const d2 = ops.add(ops.mul(dx, dx), ops.mul(dy, dy));
  const planes = radii.map((radius) => ops.unsqueeze(ops.mul(ops.sub(ops.scalar(radius * radius), d2), ops.scalar(8 / (radius * radius))), [0, 1]));
  return ops.add(ops.concat(planes, 1), consume);
}

/** 0 · mean(x): ties an input into the answer without changing it. */
function zeroOf(ops: Ops, x: string, rank: number): string {
  return ops.mul(ops.reduceMean(x, Array.from({ length: rank }, (_, axis) => axis), true), ops.scalar(0));
}

/** Radii (1024 frame) and IoU predictions of the official decoder graph's four candidates. */
export const OFFICIAL_RADII = [100, 160, 120, 80] as const;
export const OFFICIAL_SCORES = [0.95, 0.6, 0.9, 0.7] as const;

/**
 * segment-anything's exported decoder (scripts/export_onnx_model.py, without --return-single-mask):
 * `image_embeddings` [1,256,64,64], `point_coords` [1,N,2], `point_labels` [1,N], `mask_input`
 * [1,1,256,256], `has_mask_input` [1], `orig_im_size` [2] (all float32) → `masks` [1,4,H,W],
 * `iou_predictions` [1,4], `low_res_masks` [1,4,256,256]. The low-resolution masks are discs around
 * the first point; `masks` is the export's own post-processing (bilinear to 1024, crop to the
 * resized size computed from orig_im_size, bilinear to orig_im_size) done by ONNX Resize.
 */
export async function writeOfficialDecoderGraph(file: string): Promise<string> {
  const graph = new GraphBuilder({ name: 'sam-decoder-official' });
  const ops = new Ops(graph);
  const embeddings = graph.input('image_embeddings', 'float32', [1, 256, 64, 64]);
  const coords = graph.input('point_coords', 'float32', [1, 'num_points', 2]);
  const labels = graph.input('point_labels', 'float32', [1, 'num_points']);
  graph.input('mask_input', 'float32', [1, 1, 256, 256]);
  graph.input('has_mask_input', 'float32', [1]);
  const origSize = graph.input('orig_im_size', 'float32', [2]);
  const px = ops.reshape(ops.slice(coords, [0, 0], [1, 1], [1, 2]), [1]);
  const py = ops.reshape(ops.slice(coords, [0, 1], [1, 2], [1, 2]), [1]);
  const consume = ops.add(zeroOf(ops, embeddings, 4), ops.reshape(zeroOf(ops, labels, 2), [1, 1, 1, 1]));
  const lowRes = discs(ops, px, py, OFFICIAL_RADII, consume);
  const count = OFFICIAL_RADII.length;
  // torch's bilinear with align_corners=False is ONNX Resize linear / half_pixel (what the export traces to).
  const resizeTo = (x: string, sizes: string): string =>
    graph.node('Resize', [x, '', '', sizes], { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('half_pixel') })[0];
  const padded = resizeTo(lowRes, ops.int64s([1, count, 1024, 1024]));
  const scale = ops.div(ops.scalar(1024), ops.reduceMax(origSize, [0], false));
  const prepadded = ops.cast(ops.floor(ops.add(ops.mul(origSize, scale), ops.scalar(0.5))), 'int64');
  const cropped = ops.slice(padded, ops.int64s([0, 0]), prepadded, ops.int64s([2, 3]));
  const masks = resizeTo(cropped, ops.concat([ops.int64s([1, count]), ops.cast(origSize, 'int64')], 0));
  graph.output('masks', 'float32', [1, count, 'height', 'width'], masks);
  graph.output('iou_predictions', 'float32', [1, count], ops.add(ops.floats([...OFFICIAL_SCORES], [1, count]), ops.reshape(consume, [1, 1])));
  graph.output('low_res_masks', 'float32', [1, count, 256, 256], ops.identity(lowRes));
  return save(graph, file);
}

/** Radii (1024 frame) and IoU scores of the transformers.js decoder graph's three masks. */
export const TRANSFORMERS_RADII = [160, 120, 80] as const;
export const TRANSFORMERS_SCORES = [0.6, 0.9, 0.7] as const;

/**
 * transformers.js / Optimum's `prompt_encoder_mask_decoder.onnx`: `image_embeddings` [1,256,64,64]
 * (+ `image_positional_embeddings` with `positional`), `input_points` [1,1,N,2] float32,
 * `input_labels` [1,1,N] int64 → `pred_masks` [1,1,3,256,256] (discs around the first point),
 * `iou_scores` [1,1,3]. No post-processing in the graph: the caller upscales.
 */
export async function writeTransformersDecoderGraph(file: string, options: { positional?: boolean } = {}): Promise<string> {
  const graph = new GraphBuilder({ name: 'sam-decoder-transformers' });
  const ops = new Ops(graph);
  const embeddings = graph.input('image_embeddings', 'float32', [1, 256, 64, 64]);
  let consume = zeroOf(ops, embeddings, 4);
  if (options.positional) consume = ops.add(consume, zeroOf(ops, graph.input('image_positional_embeddings', 'float32', [1, 256, 64, 64]), 4));
  const points = graph.input('input_points', 'float32', [1, 1, 'num_points', 2]);
  const labels = graph.input('input_labels', 'int64', [1, 1, 'num_points']);
  consume = ops.add(consume, ops.reshape(zeroOf(ops, ops.cast(labels, 'float32'), 3), [1, 1, 1, 1]));
  const px = ops.reshape(ops.slice(points, [0, 0], [1, 1], [2, 3]), [1]);
  const py = ops.reshape(ops.slice(points, [0, 1], [1, 2], [2, 3]), [1]);
  const lowRes = discs(ops, px, py, TRANSFORMERS_RADII, consume);
  graph.output('iou_scores', 'float32', [1, 1, 3], ops.add(ops.floats([...TRANSFORMERS_SCORES], [1, 1, 3]), ops.reshape(consume, [1, 1, 1])));
  graph.output('pred_masks', 'float32', [1, 1, 3, 256, 256], ops.unsqueeze(lowRes, [0]));
  return save(graph, file);
}
