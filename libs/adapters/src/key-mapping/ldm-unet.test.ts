import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ldmUnetToDiffusers } from './ldm-unet.js';

test('SD 1.x LDM UNet blocks map onto diffusers blocks', () => {
  const cases: [string, string][] = [
    ['input_blocks.0.0.weight', 'conv_in.weight'],
    ['time_embed.0.weight', 'time_embedding.linear_1.weight'],
    ['time_embed.2.bias', 'time_embedding.linear_2.bias'],
    ['input_blocks.1.0.in_layers.0.weight', 'down_blocks.0.resnets.0.norm1.weight'],
    ['input_blocks.1.0.in_layers.2.weight', 'down_blocks.0.resnets.0.conv1.weight'],
    ['input_blocks.2.0.emb_layers.1.bias', 'down_blocks.0.resnets.1.time_emb_proj.bias'],
    ['input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight', 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight'],
    ['input_blocks.2.1.proj_in.weight', 'down_blocks.0.attentions.1.proj_in.weight'],
    ['input_blocks.3.0.op.weight', 'down_blocks.0.downsamplers.0.conv.weight'],
    ['input_blocks.4.0.skip_connection.weight', 'down_blocks.1.resnets.0.conv_shortcut.weight'],
    ['input_blocks.5.1.transformer_blocks.0.ff.net.0.proj.weight', 'down_blocks.1.attentions.1.transformer_blocks.0.ff.net.0.proj.weight'],
    ['input_blocks.9.0.op.bias', 'down_blocks.2.downsamplers.0.conv.bias'],
    ['input_blocks.11.0.out_layers.3.weight', 'down_blocks.3.resnets.1.conv2.weight'],
    ['middle_block.0.out_layers.0.weight', 'mid_block.resnets.0.norm2.weight'],
    ['middle_block.1.transformer_blocks.0.attn2.to_k.weight', 'mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight'],
    ['middle_block.2.in_layers.2.bias', 'mid_block.resnets.1.conv1.bias'],
    ['output_blocks.0.0.skip_connection.weight', 'up_blocks.0.resnets.0.conv_shortcut.weight'],
    ['output_blocks.2.1.conv.weight', 'up_blocks.0.upsamplers.0.conv.weight'],
    ['output_blocks.3.1.norm.weight', 'up_blocks.1.attentions.0.norm.weight'],
    ['output_blocks.5.1.transformer_blocks.0.attn1.to_v.weight', 'up_blocks.1.attentions.2.transformer_blocks.0.attn1.to_v.weight'],
    ['output_blocks.5.2.conv.bias', 'up_blocks.1.upsamplers.0.conv.bias'],
    ['output_blocks.11.1.proj_out.weight', 'up_blocks.3.attentions.2.proj_out.weight'],
    ['out.0.weight', 'conv_norm_out.weight'],
    ['out.2.bias', 'conv_out.bias'],
    ['label_emb.0.0.weight', 'add_embedding.linear_1.weight'],
  ];
  for (const [ldm, diffusers] of cases) assert.equal(ldmUnetToDiffusers(ldm), diffusers, ldm);
});

test('kohya flattened LDM names map with "_" separators', () => {
  assert.equal(
    ldmUnetToDiffusers('input_blocks_4_1_transformer_blocks_0_attn1_to_q', { separator: '_' }),
    'down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q',
  );
  assert.equal(ldmUnetToDiffusers('input_blocks_1_0_in_layers_2', { separator: '_' }), 'down_blocks_0_resnets_0_conv1');
  assert.equal(ldmUnetToDiffusers('output_blocks_8_2_conv', { separator: '_' }), 'up_blocks_2_upsamplers_0_conv');
  assert.equal(ldmUnetToDiffusers('middle_block_1_proj_out', { separator: '_' }), 'mid_block_attentions_0_proj_out');
});

test('names outside the table are not guessed', () => {
  assert.equal(ldmUnetToDiffusers('input_blocks.1.0.mystery.weight'), undefined);
  assert.equal(ldmUnetToDiffusers('input_blocks.3.1.proj_in.weight'), undefined);
  assert.equal(ldmUnetToDiffusers('output_blocks.1.2.norm.weight'), undefined);
  assert.equal(ldmUnetToDiffusers('middle_block.3.in_layers.0.weight'), undefined);
  assert.equal(ldmUnetToDiffusers('something_else'), undefined);
});
