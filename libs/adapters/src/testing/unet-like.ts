// A UNet-shaped test graph: a few layers of each kind a real SD UNet export has, under the real
// module paths, so LoRA keys and LDM checkpoint names resolve exactly as they would on SD 1.x.
import { attr } from '@atelier/onnx-graph';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { floatLiteral, transpose2d, type FloatKind, type Weights } from './exporter-model.js';

const ATTN = 'down_blocks.0.attentions.0.transformer_blocks.0';

export const UNET_SHAPES: Readonly<Record<string, readonly number[]>> = {
  'conv_in.weight': [8, 4, 3, 3],
  'conv_in.bias': [8],
  'down_blocks.0.resnets.0.conv1.weight': [8, 8, 3, 3],
  'down_blocks.0.resnets.0.conv1.bias': [8],
  'time_embedding.linear_1.weight': [8, 5],
  'time_embedding.linear_1.bias': [8],
  'down_blocks.0.attentions.0.proj_in.weight': [8, 8, 1, 1],
  'down_blocks.0.attentions.0.proj_in.bias': [8],
  [`${ATTN}.attn1.to_q.weight`]: [8, 8],
  [`${ATTN}.attn2.to_k.weight`]: [8, 6],
  [`${ATTN}.attn1.to_out.0.weight`]: [8, 8],
  [`${ATTN}.attn1.to_out.0.bias`]: [8],
  'mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight': [8, 8],
  'up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_v.weight': [8, 8],
};

/** Linear layers and the "onnx::MatMul_<n>" name their transposed weight gets. */
export const UNET_MATMULS: Readonly<Record<string, string>> = {
  [`${ATTN}.attn1.to_q`]: 'onnx::MatMul_101',
  [`${ATTN}.attn2.to_k`]: 'onnx::MatMul_102',
  [`${ATTN}.attn1.to_out.0`]: 'onnx::MatMul_103',
  'mid_block.attentions.0.transformer_blocks.0.ff.net.2': 'onnx::MatMul_104',
  'up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_v': 'onnx::MatMul_105',
};

export const UNET_INPUTS = {
  sample: [1, 4, 4, 4],
  time_embedding: [1, 5],
  encoder_hidden_states: [1, 3, 6],
} as const;

export function unetLikeGraph(weights: Weights, kind: FloatKind = 'float32'): GraphBuilder {
  const g = new GraphBuilder({ name: 'unet' });
  const ops = new Ops(g);
  const param = (name: string): string => g.initializer(floatLiteral(weights[name], UNET_SHAPES[name], kind), name);
  const modulePath = (module: string): string => `/${module.replaceAll(/\.(?=[a-z_])/g, '/')}`;
  const conv = (module: string, x: string, pads: number): string =>
    g.node('Conv', [x, param(`${module}.weight`), param(`${module}.bias`)], { pads: attr.ints([pads, pads, pads, pads]) }, { name: `${modulePath(module)}/Conv` })[0];
  const linear = (module: string, x: string, suffix = 'MatMul'): string => {
    const [out, inputs] = UNET_SHAPES[`${module}.weight`];
    const stored = g.initializer(floatLiteral(transpose2d(weights[`${module}.weight`], out, inputs), [inputs, out], kind), UNET_MATMULS[module]);
    return g.node('MatMul', [x, stored], {}, { name: `${modulePath(module)}/${suffix}` })[0];
  };

  const sample = g.input('sample', kind, [...UNET_INPUTS.sample]);
  const temb = g.input('time_embedding', kind, [...UNET_INPUTS.time_embedding]);
  const context = g.input('encoder_hidden_states', kind, [...UNET_INPUTS.encoder_hidden_states]);

  let h = conv('conv_in', sample, 1);
  h = conv('down_blocks.0.resnets.0.conv1', h, 1);
  const t = g.node('Gemm', [temb, param('time_embedding.linear_1.weight'), param('time_embedding.linear_1.bias')], { transB: attr.int(1) }, { name: '/time_embedding/linear_1/Gemm' })[0];
  h = ops.add(h, ops.reshape(t, [1, 8, 1, 1]));
  h = conv('down_blocks.0.attentions.0.proj_in', h, 0);
  const x = ops.transpose(ops.reshape(h, [1, 8, 16]), [0, 2, 1]);
  const q = linear(`${ATTN}.attn1.to_q`, x);
  const k = linear(`${ATTN}.attn2.to_k`, context);
  const scores = g.node('MatMul', [q, ops.transpose(k, [0, 2, 1])], {}, { name: `${modulePath(`${ATTN}.attn2`)}/MatMul` })[0];
  const attended = g.node('MatMul', [scores, k], {}, { name: `${modulePath(`${ATTN}.attn2`)}/MatMul_1` })[0];
  const projected = linear(`${ATTN}.attn1.to_out.0`, ops.add(q, attended));
  const o = g.node('Add', [projected, param(`${ATTN}.attn1.to_out.0.bias`)], {}, { name: `${modulePath(`${ATTN}.attn1.to_out.0`)}/Add` })[0];
  const z = linear('mid_block.attentions.0.transformer_blocks.0.ff.net.2', o);
  const y = linear('up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_v', z);
  g.output('out_sample', kind, [1, 16, 8], y);
  return g;
}
