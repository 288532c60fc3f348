// A CLIP-text-encoder-shaped test graph: token and position embedding Gathers, one encoder layer
// with transposed Linear weights, a final LayerNorm, and the legacy pooled-index ArgMax on
// input_ids that SD exports carry.
import { attr } from '@atelier/onnx-graph';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { int64Literal } from '@atelier/onnx-graph';
import { floatLiteral, transpose2d, type FloatKind, type Weights } from './exporter-model.js';

export const VOCAB = 10;
export const HIDDEN = 6;
export const SEQUENCE = 4;
const LAYER = 'text_model.encoder.layers.0';

export const TEXT_ENCODER_SHAPES: Readonly<Record<string, readonly number[]>> = {
  'text_model.embeddings.token_embedding.weight': [VOCAB, HIDDEN],
  'text_model.embeddings.position_embedding.weight': [SEQUENCE, HIDDEN],
  [`${LAYER}.self_attn.q_proj.weight`]: [HIDDEN, HIDDEN],
  [`${LAYER}.self_attn.q_proj.bias`]: [HIDDEN],
  [`${LAYER}.mlp.fc1.weight`]: [12, HIDDEN],
  [`${LAYER}.mlp.fc1.bias`]: [12],
  [`${LAYER}.mlp.fc2.weight`]: [HIDDEN, 12],
  'text_model.final_layer_norm.weight': [HIDDEN],
  'text_model.final_layer_norm.bias': [HIDDEN],
};

const MATMULS: Readonly<Record<string, string>> = {
  [`${LAYER}.self_attn.q_proj`]: 'onnx::MatMul_201',
  [`${LAYER}.mlp.fc1`]: 'onnx::MatMul_202',
  [`${LAYER}.mlp.fc2`]: 'onnx::MatMul_203',
};

/** `tableRows` lets a test build the reference graph with an already enlarged token table. */
export function textEncoderLikeGraph(weights: Weights, options: { kind?: FloatKind; tableRows?: number } = {}): GraphBuilder {
  const kind = options.kind ?? 'float32';
  const g = new GraphBuilder({ name: 'text_encoder' });
  const ops = new Ops(g);
  const shapeOf = (name: string): readonly number[] =>
    name === 'text_model.embeddings.token_embedding.weight' ? [options.tableRows ?? VOCAB, HIDDEN] : TEXT_ENCODER_SHAPES[name];
  const param = (name: string): string => g.initializer(floatLiteral(weights[name], shapeOf(name), kind), name);
  const nodePath = (module: string): string => `/${module.replaceAll(/\.(?=[a-z_])/g, '/')}`;
  const linear = (module: string, x: string, bias: boolean): string => {
    const [out, inputs] = TEXT_ENCODER_SHAPES[`${module}.weight`];
    const stored = g.initializer(floatLiteral(transpose2d(weights[`${module}.weight`], out, inputs), [inputs, out], kind), MATMULS[module]);
    const product = g.node('MatMul', [x, stored], {}, { name: `${nodePath(module)}/MatMul` })[0];
    return bias ? g.node('Add', [product, param(`${module}.bias`)], {}, { name: `${nodePath(module)}/Add` })[0] : product;
  };

  const ids = g.input('input_ids', 'int64', [1, SEQUENCE]);
  const tokens = g.node('Gather', [param('text_model.embeddings.token_embedding.weight'), ids], {}, { name: '/text_model/embeddings/token_embedding/Gather' })[0];
  const positionIds = g.initializer(int64Literal([0, 1, 2, 3], [1, SEQUENCE]), 'text_model.embeddings.position_ids');
  const positions = g.node('Gather', [param('text_model.embeddings.position_embedding.weight'), positionIds], {}, { name: '/text_model/embeddings/position_embedding/Gather' })[0];
  const embedded = ops.add(tokens, positions);
  const q = linear(`${LAYER}.self_attn.q_proj`, embedded, true);
  const hidden = linear(`${LAYER}.mlp.fc2`, linear(`${LAYER}.mlp.fc1`, q, true), false);
  const normed = g.node(
    'LayerNormalization',
    [ops.add(hidden, embedded), param('text_model.final_layer_norm.weight'), param('text_model.final_layer_norm.bias')],
    { axis: attr.int(-1) },
    { name: '/text_model/final_layer_norm/LayerNormalization' },
  )[0];
  g.output('last_hidden_state', kind, [1, SEQUENCE, HIDDEN], normed);
  const eos = g.node('ArgMax', [ops.cast(ids, 'int32')], { axis: attr.int(-1), keepdims: attr.int(0) }, { name: '/text_model/ArgMax' })[0];
  g.output('eos_index', 'int64', [1], eos);
  return g;
}
