import type { DemoPredictionType } from './denoiser-graph.js';
import { DEMO_SCALING_FACTOR, SD15_SCHEDULE } from './noise-schedule.js';
import { CLIP_VOCAB_SIZE } from './text-encoder-graph.js';

// JSON files shaped like a Stable Diffusion 1.5 ONNX export (diffusers / Optimum field names).
// Architecture numbers that the demo graphs do not use keep their SD 1.5 values so that code
// reading them sees a familiar model.

const DIFFUSERS_VERSION = '0.30.0';

export function modelIndexJson(): Record<string, unknown> {
  return {
    _class_name: 'StableDiffusionPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    _name_or_path: 'atelier/demo-sd15',
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
    requires_safety_checker: false,
  };
}

export function schedulerConfigJson(predictionType: DemoPredictionType): Record<string, unknown> {
  return {
    _class_name: 'PNDMScheduler',
    _diffusers_version: DIFFUSERS_VERSION,
    beta_start: SD15_SCHEDULE.betaStart,
    beta_end: SD15_SCHEDULE.betaEnd,
    beta_schedule: 'scaled_linear',
    num_train_timesteps: SD15_SCHEDULE.trainTimesteps,
    prediction_type: predictionType,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    clip_sample: false,
    trained_betas: null,
    timestep_spacing: 'leading',
  };
}

export function textEncoderConfigJson(hiddenSize: number): Record<string, unknown> {
  return {
    _name_or_path: 'atelier/demo-sd15',
    architectures: ['CLIPTextModel'],
    attention_dropout: 0.0,
    bos_token_id: 49406,
    eos_token_id: 49407,
    pad_token_id: 49407,
    hidden_act: 'quick_gelu',
    hidden_size: hiddenSize,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: 4 * hiddenSize,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 77,
    model_type: 'clip_text_model',
    num_attention_heads: 12,
    num_hidden_layers: 12,
    projection_dim: hiddenSize,
    torch_dtype: 'float32',
    vocab_size: CLIP_VOCAB_SIZE,
  };
}

export function unetConfigJson(options: { readonly sampleSize: number; readonly hiddenSize: number }): Record<string, unknown> {
  return {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    attention_head_dim: 8,
    block_out_channels: [320, 640, 1280, 1280],
    center_input_sample: false,
    cross_attention_dim: options.hiddenSize,
    down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
    downsample_padding: 1,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: 4,
    layers_per_block: 2,
    mid_block_scale_factor: 1,
    norm_eps: 1e-5,
    norm_num_groups: 32,
    out_channels: 4,
    sample_size: options.sampleSize,
    up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  };
}

export function vaeConfigJson(options: { readonly sampleSize: number }): Record<string, unknown> {
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    block_out_channels: [128, 256, 512, 512],
    down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
    in_channels: 3,
    latent_channels: 4,
    layers_per_block: 2,
    norm_num_groups: 32,
    out_channels: 3,
    sample_size: 8 * options.sampleSize,
    scaling_factor: DEMO_SCALING_FACTOR,
    up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
  };
}
