import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapCheckpointKey } from './ldm-checkpoint.js';

const targets = (key: string) => {
  const mapping = mapCheckpointKey(key);
  return mapping.kind === 'mapped' ? mapping.targets : mapping.kind;
};

test('checkpoint prefixes select the component', () => {
  assert.deepEqual(targets('model.diffusion_model.input_blocks.1.1.proj_in.weight'), [
    { component: 'unet', parameter: 'down_blocks.0.attentions.0.proj_in.weight', transform: { kind: 'none' } },
  ]);
  assert.deepEqual(targets('cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight'), [
    { component: 'text_encoder', parameter: 'text_model.encoder.layers.0.self_attn.q_proj.weight', transform: { kind: 'none' } },
  ]);
  assert.deepEqual(targets('conditioner.embedders.0.transformer.text_model.final_layer_norm.bias'), [
    { component: 'text_encoder', parameter: 'text_model.final_layer_norm.bias', transform: { kind: 'none' } },
  ]);
  assert.deepEqual(targets('first_stage_model.decoder.up.3.block.0.conv1.weight'), [
    { component: 'vae_decoder', parameter: 'decoder.up_blocks.0.resnets.0.conv1.weight', transform: { kind: 'none' } },
  ]);
  assert.deepEqual(targets('first_stage_model.encoder.down.1.downsample.conv.bias'), [
    { component: 'vae_encoder', parameter: 'encoder.down_blocks.1.downsamplers.0.conv.bias', transform: { kind: 'none' } },
  ]);
  assert.deepEqual(targets('first_stage_model.quant_conv.weight'), [{ component: 'vae_encoder', parameter: 'quant_conv.weight', transform: { kind: 'none' } }]);
});

test('VAE LDM names: reversed decoder blocks, mid attention, shortcuts', () => {
  const one = (key: string): string | undefined => {
    const found = targets(key);
    return typeof found === 'string' ? undefined : found[0].parameter;
  };
  assert.equal(one('first_stage_model.decoder.up.0.upsample.conv.weight'), 'decoder.up_blocks.3.upsamplers.0.conv.weight');
  assert.equal(one('first_stage_model.decoder.up.1.block.2.nin_shortcut.bias'), 'decoder.up_blocks.2.resnets.2.conv_shortcut.bias');
  assert.equal(one('first_stage_model.decoder.mid.attn_1.proj_out.weight'), 'decoder.mid_block.attentions.0.to_out.0.weight');
  assert.equal(one('first_stage_model.encoder.mid.attn_1.norm.bias'), 'encoder.mid_block.attentions.0.group_norm.bias');
  assert.equal(one('first_stage_model.encoder.mid.block_2.conv2.weight'), 'encoder.mid_block.resnets.1.conv2.weight');
  assert.equal(one('first_stage_model.decoder.norm_out.weight'), 'decoder.conv_norm_out.weight');
  assert.equal(one('first_stage_model.post_quant_conv.bias'), 'post_quant_conv.bias');
});

test('OpenCLIP encoders: fused q/k/v split in three, projection transposed', () => {
  assert.deepEqual(
    targets('cond_stage_model.model.transformer.resblocks.3.attn.in_proj_weight'),
    ['q_proj', 'k_proj', 'v_proj'].map((projection, part) => ({
      component: 'text_encoder',
      parameter: `text_model.encoder.layers.3.self_attn.${projection}.weight`,
      transform: { kind: 'rows', part, of: 3 },
    })),
  );
  assert.deepEqual(targets('conditioner.embedders.1.model.text_projection'), [
    { component: 'text_encoder_2', parameter: 'text_projection.weight', transform: { kind: 'transpose' } },
  ]);
  assert.deepEqual(targets('conditioner.embedders.1.model.transformer.resblocks.0.mlp.c_fc.bias'), [
    { component: 'text_encoder_2', parameter: 'text_model.encoder.layers.0.mlp.fc1.bias', transform: { kind: 'none' } },
  ]);
  assert.deepEqual(targets('cond_stage_model.model.positional_embedding'), [
    { component: 'text_encoder', parameter: 'text_model.embeddings.position_embedding.weight', transform: { kind: 'none' } },
  ]);
});

test('training state is ignored, unknown names are reported as unknown', () => {
  for (const key of ['model_ema.decay', 'alphas_cumprod', 'cond_stage_model.transformer.text_model.embeddings.position_ids', 'first_stage_model.loss.logvar']) {
    assert.equal(targets(key), 'ignored', key);
  }
  for (const key of ['model.diffusion_model.input_blocks.1.0.mystery.weight', 'lora_unet_x.alpha', 'first_stage_model.decoder.nowhere.weight']) {
    assert.equal(targets(key), 'unknown', key);
  }
});
