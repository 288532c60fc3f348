import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLoraKey } from './lora-keys.js';

test('kohya keys: component, flattened module and part', () => {
  assert.deepEqual(parseLoraKey('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight'), {
    component: 'unet',
    module: 'down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q',
    flat: true,
    part: 'down',
  });
  assert.equal(parseLoraKey('lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight')?.component, 'text_encoder');
  assert.equal(parseLoraKey('lora_te1_text_model_encoder_layers_0_mlp_fc1.alpha')?.part, 'alpha');
  assert.equal(parseLoraKey('lora_te1_text_model_encoder_layers_0_mlp_fc1.alpha')?.component, 'text_encoder');
  assert.equal(parseLoraKey('lora_te2_text_model_encoder_layers_0_mlp_fc1.alpha')?.component, 'text_encoder_2');
  assert.equal(parseLoraKey('lora_unet_input_blocks_4_1_proj_in.hada_w1_a')?.part, 'unsupported');
});

test('PEFT and older diffusers keys are dotted module paths', () => {
  assert.deepEqual(parseLoraKey('unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight'), {
    component: 'unet',
    module: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q',
    flat: false,
    part: 'down',
  });
  assert.equal(parseLoraKey('text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_B.default.weight')?.part, 'up');
  assert.equal(parseLoraKey('text_encoder_2.text_model.encoder.layers.3.mlp.fc2.lora_A.weight')?.component, 'text_encoder_2');
  assert.equal(parseLoraKey('unet.mid_block.attentions.0.transformer_blocks.0.attn2.processor.to_out_lora.up.weight')?.module, 'mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0');
  assert.equal(parseLoraKey('text_encoder.text_model.encoder.layers.0.self_attn.k_proj.lora_linear_layer.down.weight')?.module, 'text_model.encoder.layers.0.self_attn.k_proj');
  assert.equal(parseLoraKey('unet.up_blocks.1.attentions.0.proj_out.alpha')?.part, 'alpha');
});

test('unknown keys are not parsed', () => {
  assert.equal(parseLoraKey('model.diffusion_model.input_blocks.0.0.weight'), undefined);
  assert.equal(parseLoraKey('emb_params'), undefined);
});
