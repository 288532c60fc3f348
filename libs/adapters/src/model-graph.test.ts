import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr } from '@atelier/onnx-graph';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { ModelGraph, modulePathOf } from './model-graph.js';
import { OnnxModel } from './onnx-model.js';
import { encodeExport, randomWeights } from './testing/exporter-model.js';
import { UNET_SHAPES, unetLikeGraph } from './testing/unet-like.js';

test('module paths come from exporter node names, dots inside segments kept', () => {
  assert.equal(modulePathOf('/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul'), 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q');
  assert.equal(modulePathOf('/text_model/encoder/layers.11/mlp/fc2/MatMul_1'), 'text_model.encoder.layers.11.mlp.fc2');
  assert.equal(modulePathOf('MatMul_12'), undefined);
  assert.equal(modulePathOf('/Reshape'), undefined);
});

test('weight slots of a UNet-like export: layouts and initializers', () => {
  const graph = new ModelGraph(OnnxModel.fromBytes(encodeExport(unetLikeGraph(randomWeights(UNET_SHAPES, 1))).model, null));
  const slot = (module: string) => {
    const found = graph.weightSlot(module);
    return found && [found.op, found.initializer, found.layout];
  };
  assert.deepEqual(slot('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'), ['MatMul', 'onnx::MatMul_101', 'in-out']);
  assert.deepEqual(slot('down_blocks.0.resnets.0.conv1'), ['Conv', 'down_blocks.0.resnets.0.conv1.weight', 'out-in']);
  assert.deepEqual(slot('time_embedding.linear_1'), ['Gemm', 'time_embedding.linear_1.weight', 'out-in']);
  // q·kᵀ products have no weight: attn2 itself is no slot.
  assert.equal(graph.weightSlot('down_blocks.0.attentions.0.transformer_blocks.0.attn2'), undefined);
  assert.deepEqual(graph.resolveParameter('down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.bias', 8), {
    initializer: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.bias',
    transpose: false,
    dims: [8],
  });
  assert.deepEqual(graph.resolveParameter('mid_block.attentions.0.transformer_blocks.0.ff.net.2.weight', 64), {
    initializer: 'onnx::MatMul_104',
    transpose: true,
    dims: [8, 8],
  });
  assert.equal(graph.resolveParameter('mid_block.attentions.0.transformer_blocks.0.ff.net.2.bias', 8), undefined);
});

test('unfolded Transpose(W) feeding MatMul, Gemm without transB, shared and ambiguous initializers', () => {
  const g = new GraphBuilder();
  const ops = new Ops(g);
  const x = g.input('x', 'float32', [1, 2]);
  const w = g.initializer(float32Literal([1, 2, 3, 4], [2, 2]), 'a.proj.weight');
  const transposed = g.node('Transpose', [w], { perm: attr.ints([1, 0]) }, { name: '/a/proj/Transpose' })[0];
  const y = g.node('MatMul', [x, transposed], {}, { name: '/a/proj/MatMul' })[0];
  const gw = g.initializer(float32Literal([1, 0, 0, 1], [2, 2]), 'onnx::Gemm_7');
  const z = g.node('Gemm', [y, gw], {}, { name: '/b/Gemm' })[0];
  const shared = g.initializer(float32Literal([1, 1, 1, 1], [2, 2]), 'onnx::MatMul_9');
  const u = g.node('MatMul', [z, shared], {}, { name: '/c/left/MatMul' })[0];
  const v = g.node('MatMul', [u, shared], {}, { name: '/c/right/MatMul' })[0];
  const one = g.initializer(float32Literal([1, 1]), 'onnx::Add_1');
  const two = g.initializer(float32Literal([2, 2]), 'onnx::Add_2');
  const sum = g.node('Add', [g.node('Add', [v, one], {}, { name: '/d/Add' })[0], two], {}, { name: '/d/Add_1' })[0];
  g.output('out', 'float32', [1, 2], ops.identity(sum));
  const graph = new ModelGraph(OnnxModel.fromBytes(encodeExport(g).model, null));

  assert.equal(graph.weightSlot('a.proj')?.layout, 'out-in');
  assert.equal(graph.weightSlot('b')?.layout, 'in-out');
  assert.deepEqual([...(graph.consumers.get('onnx::MatMul_9') ?? [])].sort(), ['c.left', 'c.right']);
  assert.equal(graph.resolveParameter('d.bias', 2), undefined, 'two Add constants of the same size are ambiguous');
});
