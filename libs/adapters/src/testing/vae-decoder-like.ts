// A VAE-decoder-shaped test graph: post_quant_conv, a decomposed GroupNorm (InstanceNormalization
// on groups, then the affine Mul/Add with "onnx::Mul_<n>" constants, as torch exports it), the
// mid-block attention with a Linear to_q, and an up-block convolution.
import { attr } from '@atelier/onnx-graph';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { transpose2d, type Weights } from './exporter-model.js';

export const VAE_SHAPES: Readonly<Record<string, readonly number[]>> = {
  'post_quant_conv.weight': [4, 4, 1, 1],
  'post_quant_conv.bias': [4],
  'decoder.conv_in.weight': [4, 4, 3, 3],
  'decoder.conv_in.bias': [4],
  'decoder.mid_block.resnets.0.norm1.weight': [4],
  'decoder.mid_block.resnets.0.norm1.bias': [4],
  'decoder.mid_block.resnets.0.conv1.weight': [4, 4, 3, 3],
  'decoder.mid_block.resnets.0.conv1.bias': [4],
  'decoder.mid_block.attentions.0.to_q.weight': [4, 4],
  'decoder.mid_block.attentions.0.to_q.bias': [4],
  'decoder.up_blocks.0.resnets.0.conv1.weight': [4, 4, 3, 3],
  'decoder.up_blocks.0.resnets.0.conv1.bias': [4],
};

export function vaeDecoderLikeGraph(weights: Weights): GraphBuilder {
  const g = new GraphBuilder({ name: 'vae_decoder' });
  const ops = new Ops(g);
  const param = (name: string, dims = VAE_SHAPES[name]): string => g.initializer(float32Literal(weights[name], dims), name);
  const conv = (module: string, x: string, pads: number): string =>
    g.node('Conv', [x, param(`${module}.weight`), param(`${module}.bias`)], { pads: attr.ints([pads, pads, pads, pads]) }, { name: `/${module.replaceAll(/\.(?=[a-z_])/g, '/')}/Conv` })[0];

  const latent = g.input('latent_sample', 'float32', [1, 4, 2, 2]);
  let h = conv('post_quant_conv', latent, 0);
  h = conv('decoder.conv_in', h, 1);

  const norm = '/decoder/mid_block/resnets.0/norm1';
  const grouped = g.node('Reshape', [h, ops.int64s([1, 2, -1])], {}, { name: `${norm}/Reshape` })[0];
  const scale = g.initializer(float32Literal([1, 1]), 'onnx::InstanceNormalization_300');
  const shift = g.initializer(float32Literal([0, 0]), 'onnx::InstanceNormalization_301');
  const normalized = g.node('InstanceNormalization', [grouped, scale, shift], { epsilon: attr.float(1e-6) }, { name: `${norm}/InstanceNormalization` })[0];
  const back = g.node('Reshape', [normalized, ops.int64s([1, 4, 2, 2])], {}, { name: `${norm}/Reshape_1` })[0];
  const gamma = g.initializer(float32Literal(weights['decoder.mid_block.resnets.0.norm1.weight'], [4, 1, 1]), 'onnx::Mul_302');
  const beta = g.initializer(float32Literal(weights['decoder.mid_block.resnets.0.norm1.bias'], [4, 1, 1]), 'onnx::Add_303');
  h = g.node('Add', [g.node('Mul', [back, gamma], {}, { name: `${norm}/Mul` })[0], beta], {}, { name: `${norm}/Add` })[0];
  h = conv('decoder.mid_block.resnets.0.conv1', h, 1);

  const tokens = ops.transpose(ops.reshape(h, [1, 4, 4]), [0, 2, 1]);
  const wq = g.initializer(float32Literal(transpose2d(weights['decoder.mid_block.attentions.0.to_q.weight'], 4, 4), [4, 4]), 'onnx::MatMul_304');
  const q = g.node('MatMul', [tokens, wq], {}, { name: '/decoder/mid_block/attentions.0/to_q/MatMul' })[0];
  const qb = g.node('Add', [q, param('decoder.mid_block.attentions.0.to_q.bias')], {}, { name: '/decoder/mid_block/attentions.0/to_q/Add' })[0];
  h = ops.reshape(ops.transpose(qb, [0, 2, 1]), [1, 4, 2, 2]);
  h = conv('decoder.up_blocks.0.resnets.0.conv1', h, 1);
  g.output('sample', 'float32', [1, 4, 2, 2], h);
  return g;
}
