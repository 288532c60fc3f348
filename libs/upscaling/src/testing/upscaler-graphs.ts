import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attr, float32Literal, GraphBuilder, Ops } from '@atelier/onnx-graph';

export interface UpscalerGraphOptions {
  readonly scale: number;
  /** `input` (Real-ESRGAN), `data`, `pixel_values` or `image`. */
  readonly inputName?: string;
  /** fp16 exports take and give float16. */
  readonly dtype?: 'float32' | 'float16';
  /** 3×3 blur layers before the shuffle: the output then depends on input pixels within this radius. */
  readonly blurLayers?: number;
  /** A fixed input size declared in the graph (static shapes: the scale is read from them). */
  readonly fixed?: { readonly width: number; readonly height: number };
}

/**
 * Sub-pixel (dy, dx) of the pixel-shuffle upscaler gets the input times this gain, so the output
 * is known exactly: out[c, y·s+dy, x·s+dx] = in[c, y, x] · (dy·s + dx + 1) / (s² + 1). The odd
 * denominator keeps level · gain off exact halves, so 8-bit rounding has no ties to break.
 */
export function shuffleGain(dy: number, dx: number, scale: number): number {
  return (dy * scale + dx + 1) / (scale * scale + 1);
}

/** The per-channel 3×3 blur of the conv variant ([1,2,1]ᵀ[1,2,1] / 16, zero padding). */
export const BLUR_KERNEL = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((value) => value / 16);

/**
 * An ESRGAN-shaped upscaler: `[1,3,h,w]` → `output` `[1,3,s·h,s·w]`, a 1×1 conv to 3·s² channels
 * and DepthToSpace (CRD), the layout of Real-ESRGAN's pixel-shuffle tail; optionally blur layers
 * first (for seam tests) and fp16 I/O.
 */
export async function writeUpscalerGraph(file: string, options: UpscalerGraphOptions): Promise<string> {
  const { scale } = options;
  const dtype = options.dtype ?? 'float32';
  const graph = new GraphBuilder({ name: `upscaler-x${scale}` });
  const ops = new Ops(graph);
  const h = options.fixed?.height ?? 'height';
  const w = options.fixed?.width ?? 'width';
  const input = graph.input(options.inputName ?? 'input', dtype, [1, 3, h, w]);
  let x = dtype === 'float16' ? ops.cast(input, 'float32') : input;
  const blur = ops.constant(float32Literal([...BLUR_KERNEL, ...BLUR_KERNEL, ...BLUR_KERNEL], [3, 1, 3, 3]), 'blur');
  for (let layer = 0; layer < (options.blurLayers ?? 0); layer++) {
    [x] = graph.node('Conv', [x, blur], { group: attr.int(3), kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) });
  }
  const spread = new Float32Array(3 * scale * scale * 3);
  for (let c = 0; c < 3; c++) {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) spread[(c * scale * scale + dy * scale + dx) * 3 + c] = shuffleGain(dy, dx, scale);
    }
  }
  const [expanded] = graph.node('Conv', [x, ops.constant(float32Literal(spread, [3 * scale * scale, 3, 1, 1]), 'spread')], { kernel_shape: attr.ints([1, 1]) });
  const [shuffled] = graph.node('DepthToSpace', [expanded], { blocksize: attr.int(scale), mode: attr.string('CRD') });
  const output = dtype === 'float16' ? ops.cast(shuffled, 'float16') : shuffled;
  const outDims = options.fixed ? [1, 3, options.fixed.height * scale, options.fixed.width * scale] : [1, 3, 'out_height', 'out_width'];
  graph.output('output', dtype, outDims, output);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, graph.encode().model);
  return file;
}
