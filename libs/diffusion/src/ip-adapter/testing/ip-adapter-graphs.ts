import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GraphBuilder, Ops, float32Literal, int64Literal, onnx, tensorProto, type OnnxNamespace } from '@atelier/onnx-graph';

export interface IpAdapterGraphOptions {
  /** Width of the image tokens: the UNet's cross-attention dim. */
  readonly width: number;
  /** Image tokens per image. */
  readonly tokens: number;
  /** "plus": the projection reads the encoder's penultimate hidden states instead of image_embeds. */
  readonly plus: boolean;
  readonly family: 'sd15' | 'sdxl';
  /** Width of image_embeds (CLIP ViT-H: 1024; small here). */
  readonly embedsDim?: number;
  /** Tokens and width of the hidden states (CLIP ViT-H: 257 × 1280; small here). */
  readonly hiddenTokens?: number;
  readonly hiddenWidth?: number;
  /** Folder name of the projection (`projection` or `image_proj`). */
  readonly projectionFolder?: 'projection' | 'image_proj';
}

/** Deterministic weights in [-1, 1): a fixed LCG, so every run writes the same graphs. */
function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

function linear(g: GraphBuilder, ops: Ops, x: string, inDim: number, outDim: number, seed: number): string {
  const w = g.initializer(float32Literal(weights(inDim * outDim, seed).map((v) => v / Math.sqrt(inDim)), [inDim, outDim]), 'w');
  const b = g.initializer(float32Literal(weights(outDim, seed + 1).map((v) => v * 0.5), [outDim]), 'b');
  return ops.add(ops.matMul(x, w), b);
}

/**
 * A CLIP-vision-shaped image encoder with the real names: `pixel_values` [batch, 3, 224, 224] →
 * `image_embeds` [batch, D] and `hidden_states` [batch, S, W] (penultimate states, as a plus
 * adapter reads them). Pooled pixels through fixed linear maps: different images, different outputs;
 * the zero image still encodes to something non-zero (biases), as CLIP's does.
 */
export function imageEncoderGraph(options: IpAdapterGraphOptions): Uint8Array {
  const embedsDim = options.embedsDim ?? 8;
  const hiddenTokens = options.hiddenTokens ?? 16;
  const hiddenWidth = options.hiddenWidth ?? 12;
  const g = new GraphBuilder({ name: 'tiny_clip_vision' });
  const ops = new Ops(g);
  const pixels = g.input('pixel_values', 'float32', ['batch', 3, 224, 224]);
  const pooled = ops.averagePool(pixels, [28, 28]);
  const flat = ops.reshape(pooled, [-1, 3 * 64]);
  g.output('image_embeds', 'float32', ['batch', embedsDim], linear(g, ops, flat, 3 * 64, embedsDim, 11));
  const side = Math.sqrt(hiddenTokens);
  const patches = ops.transpose(ops.reshape(ops.averagePool(pixels, [224 / side, 224 / side]), [-1, 3, hiddenTokens]), [0, 2, 1]);
  g.output('hidden_states', 'float32', ['batch', hiddenTokens, hiddenWidth], linear(g, ops, patches, 3, hiddenWidth, 23));
  return g.encode().model;
}

/** The image projection: `image_embeds` [batch, D] (or hidden states [batch, S, W] for plus) → tokens [batch, T, C]. */
export function projectionGraph(options: IpAdapterGraphOptions): Uint8Array {
  const embedsDim = options.embedsDim ?? 8;
  const hiddenTokens = options.hiddenTokens ?? 16;
  const hiddenWidth = options.hiddenWidth ?? 12;
  const g = new GraphBuilder({ name: options.plus ? 'tiny_resampler' : 'tiny_image_projection' });
  const ops = new Ops(g);
  const out = options.tokens * options.width;
  let features: string;
  let inDim: number;
  if (options.plus) {
    const hidden = g.input('image_embeds', 'float32', ['batch', hiddenTokens, hiddenWidth]);
    features = ops.reshape(hidden, [-1, hiddenTokens * hiddenWidth]);
    inDim = hiddenTokens * hiddenWidth;
  } else {
    features = g.input('image_embeds', 'float32', ['batch', embedsDim]);
    inDim = embedsDim;
  }
  const tokens = ops.reshape(linear(g, ops, features, inDim, out, 37), [-1, options.tokens, options.width]);
  g.output('image_prompt_embeds', 'float32', ['batch', options.tokens, options.width], tokens);
  return g.encode().model;
}

/** Writes an IP-Adapter folder: image_encoder/, projection/ (or image_proj/), config.json. */
export async function writeIpAdapterFolder(dir: string, options: IpAdapterGraphOptions): Promise<string> {
  const projection = options.projectionFolder ?? 'projection';
  await mkdir(path.join(dir, 'image_encoder'), { recursive: true });
  await mkdir(path.join(dir, projection), { recursive: true });
  await writeFile(path.join(dir, 'image_encoder', 'model.onnx'), imageEncoderGraph(options));
  await writeFile(path.join(dir, projection, 'model.onnx'), projectionGraph(options));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ family: options.family, plus: options.plus, tokens: options.tokens }));
  return dir;
}

export interface IpUnetOptions {
  /** Text tokens the export splits at (77: one CLIP chunk). */
  readonly textTokens?: number;
  /** Image tokens the export declares: a number (static sequence 77 + T) or 'dynamic'. */
  readonly imageTokens: number | 'dynamic';
  /** Adds the StreamDiffusion-style `ipadapter_scale` [1] input. */
  readonly scaleInput: boolean;
  /** How strongly the image tokens move the prediction. */
  readonly strength?: number;
}

const INT_MAX = 2 ** 31 - 1;

function attribute(name: string, ints: number[] | undefined, i?: number): OnnxNamespace.IAttributeProto {
  if (ints) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

/**
 * An existing UNet export (plain, residual-accepting or SDXL) rewritten the way IP-Adapter
 * exports take image prompts: `encoder_hidden_states` holds the text tokens followed by the image
 * tokens; the original UNet sees only the text, and the image tokens add `strength` × their mean
 * square (× `ipadapter_scale` where present) to every row's prediction, so the image steers the result
 * and the negative (zero-image) tokens differ from the positive ones. Every other input
 * (`text_embeds`, `time_ids`, residuals) is left as it is.
 */
export async function writeIpUnet(sourceFile: string, targetFile: string, options: IpUnetOptions): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(sourceFile));
  const graph = model.graph;
  if (!graph?.input || !graph.node || !graph.output) throw new Error(`${sourceFile}: no graph`);
  const text = options.textTokens ?? 77;
  const ehs = graph.input.find((input) => input.name === 'encoder_hidden_states');
  const sequenceDim = ehs?.type?.tensorType?.shape?.dim?.[1];
  if (!sequenceDim) throw new Error(`${sourceFile}: no encoder_hidden_states`);
  if (options.imageTokens === 'dynamic') {
    sequenceDim.dimValue = undefined;
    sequenceDim.dimParam = 'context_length';
  } else {
    sequenceDim.dimParam = undefined;
    sequenceDim.dimValue = text + options.imageTokens;
  }
  for (const node of graph.node) if (node.input) node.input = node.input.map((name) => (name === 'encoder_hidden_states' ? 'ip_text_states' : name));
  const outputName = graph.output[0].name as string;
  for (const node of graph.node) if (node.output) node.output = node.output.map((name) => (name === outputName ? 'ip_base_out' : name));
  const initializers = graph.initializer ?? (graph.initializer = []);
  initializers.push(
    tensorProto('ip_text_start', int64Literal([0])),
    tensorProto('ip_text_end', int64Literal([text])),
    tensorProto('ip_image_end', int64Literal([INT_MAX])),
    tensorProto('ip_axis', int64Literal([1])),
    tensorProto('ip_strength', float32Literal([options.strength ?? 0.5], [])),
  );
  initializers.push(tensorProto('ip_four', int64Literal([4])), tensorProto('ip_one', float32Literal([1], [])), tensorProto('ip_nchw', int64Literal([0, 4, 1, 1])));
  // Per latent channel c: the image tokens' mean in feature c, times (sample + 1): a spatially varying
  // change the VAE's group norms cannot normalise away, different for every image.
  const nodes: OnnxNamespace.INodeProto[] = [
    { opType: 'Slice', input: ['encoder_hidden_states', 'ip_text_start', 'ip_text_end', 'ip_axis'], output: ['ip_text_states'], name: 'ip_text_slice' },
    { opType: 'Slice', input: ['encoder_hidden_states', 'ip_text_end', 'ip_image_end', 'ip_axis'], output: ['ip_image_states'], name: 'ip_image_slice' },
    { opType: 'ReduceMean', input: ['ip_image_states'], output: ['ip_image_mean'], attribute: [attribute('axes', [1]), attribute('keepdims', undefined, 0)], name: 'ip_mean' },
    { opType: 'Slice', input: ['ip_image_mean', 'ip_text_start', 'ip_four', 'ip_axis'], output: ['ip_image_channels'], name: 'ip_channel_slice' },
    { opType: 'Reshape', input: ['ip_image_channels', 'ip_nchw'], output: ['ip_image_nchw'], name: 'ip_reshape' },
    { opType: 'Add', input: ['sample', 'ip_one'], output: ['ip_sample_plus_one'], name: 'ip_sample_plus_one' },
    { opType: 'Mul', input: ['ip_image_nchw', 'ip_sample_plus_one'], output: ['ip_pattern'], name: 'ip_pattern' },
    { opType: 'Mul', input: ['ip_pattern', 'ip_strength'], output: ['ip_effect'], name: 'ip_strength_mul' },
  ];
  let effect = 'ip_effect';
  if (options.scaleInput) {
    graph.input.push({ name: 'ipadapter_scale', type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
    nodes.push({ opType: 'Mul', input: ['ip_effect', 'ipadapter_scale'], output: ['ip_scaled_effect'], name: 'ip_scale_mul' });
    effect = 'ip_scaled_effect';
  }
  nodes.push({ opType: 'Add', input: ['ip_base_out', effect], output: [outputName], name: 'ip_add' });
  graph.node.push(...nodes.map((node) => onnx.NodeProto.create(node)));
  await mkdir(path.dirname(targetFile), { recursive: true });
  await writeFile(targetFile, onnx.ModelProto.encode(model).finish());
}

/**
 * A pipeline folder that links every component of `sourceDir` (read-only fixtures stay untouched)
 * and adds `ip_unet/` (from `unet/`) and, when the source has one, `ip_controlnet/` (from `controlnet/`).
 */
export async function writeIpPipelineFolder(sourceDir: string, targetDir: string, options: IpUnetOptions): Promise<string> {
  await mkdir(targetDir, { recursive: true });
  for (const entry of await readdir(sourceDir)) await symlink(path.join(sourceDir, entry), path.join(targetDir, entry));
  await writeIpUnet(path.join(sourceDir, 'unet', 'model.onnx'), path.join(targetDir, 'ip_unet', 'model.onnx'), options);
  const residual = path.join(sourceDir, 'controlnet', 'model.onnx');
  if ((await readdir(sourceDir)).includes('controlnet')) await writeIpUnet(residual, path.join(targetDir, 'ip_controlnet', 'model.onnx'), options);
  return targetDir;
}
