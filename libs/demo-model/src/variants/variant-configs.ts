import { modelIndexJson, schedulerConfigJson, textEncoderConfigJson, unetConfigJson, vaeConfigJson } from '../component-configs.js';
import { SD15_SCHEDULE } from '../noise-schedule.js';
import { CLIP_VOCAB_SIZE } from '../text-encoder-graph.js';
import { LCM_TIME_COND_DIM } from './guidance-embedding.js';
import { INPAINT_CHANNELS } from './inpaint-unet.js';
import { SDXL_SCALING_FACTOR } from './sdxl-time-ids.js';
import { SDXL_TEXT_2_WIDTH, SDXL_TEXT_WIDTH, type SdxlUnetKind } from './sdxl-unet.js';

// JSON files of the variants, field for field as the diffusers / Optimum exports they imitate
// (stabilityai SDXL base and refiner, runwayml inpainting, LCM Dreamshaper, old conversion script).
// Architecture numbers the demo graphs do not use keep the real models' values.

type Json = Record<string, unknown>;

const DIFFUSERS_VERSION = '0.30.0';

/** Transformer layers of SDXL's two text encoders (hidden_states.0 .. hidden_states.N). */
export const SDXL_TEXT_LAYERS = 12;
export const SDXL_TEXT_2_LAYERS = 32;

const noiseSchedule = {
  beta_start: SD15_SCHEDULE.betaStart,
  beta_end: SD15_SCHEDULE.betaEnd,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: SD15_SCHEDULE.trainTimesteps,
  trained_betas: null,
} as const;

export function sdxlModelIndexJson(kind: SdxlUnetKind): Json {
  const refiner = kind === 'refiner';
  return {
    _class_name: refiner ? 'StableDiffusionXLImg2ImgPipeline' : 'StableDiffusionXLPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    _name_or_path: `atelier/demo-sdxl${refiner ? '-refiner' : ''}`,
    add_watermarker: null,
    force_zeros_for_empty_prompt: !refiner,
    ...(refiner ? { requires_aesthetics_score: true } : {}),
    scheduler: ['diffusers', 'EulerDiscreteScheduler'],
    text_encoder: refiner ? [null, null] : ['transformers', 'CLIPTextModel'],
    text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
    tokenizer: refiner ? [null, null] : ['transformers', 'CLIPTokenizer'],
    tokenizer_2: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  };
}

export function eulerSchedulerJson(): Json {
  return {
    _class_name: 'EulerDiscreteScheduler',
    _diffusers_version: DIFFUSERS_VERSION,
    ...noiseSchedule,
    clip_sample: false,
    interpolation_type: 'linear',
    prediction_type: 'epsilon',
    sample_max_value: 1.0,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    use_karras_sigmas: false,
  };
}

export function lcmSchedulerJson(): Json {
  return {
    _class_name: 'LCMScheduler',
    _diffusers_version: DIFFUSERS_VERSION,
    ...noiseSchedule,
    clip_sample: false,
    clip_sample_range: 1.0,
    dynamic_thresholding_ratio: 0.995,
    original_inference_steps: 50,
    prediction_type: 'epsilon',
    rescale_betas_zero_snr: false,
    sample_max_value: 1.0,
    set_alpha_to_one: true,
    steps_offset: 1,
    thresholding: false,
    timestep_scaling: 10.0,
    timestep_spacing: 'leading',
  };
}

/** The OpenCLIP ViT-bigG text tower of SDXL's text_encoder_2, as transformers writes it. */
export function projectionTextEncoderConfigJson(): Json {
  return {
    _name_or_path: 'atelier/demo-sdxl',
    architectures: ['CLIPTextModelWithProjection'],
    attention_dropout: 0.0,
    bos_token_id: 0,
    dropout: 0.0,
    eos_token_id: 2,
    hidden_act: 'gelu',
    hidden_size: SDXL_TEXT_2_WIDTH,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: 4 * SDXL_TEXT_2_WIDTH,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 77,
    model_type: 'clip_text_model',
    num_attention_heads: 20,
    num_hidden_layers: SDXL_TEXT_2_LAYERS,
    pad_token_id: 1,
    projection_dim: SDXL_TEXT_2_WIDTH,
    torch_dtype: 'float32',
    vocab_size: CLIP_VOCAB_SIZE,
  };
}

export function sdxlTextEncoderConfigJson(): Json {
  return { ...textEncoderConfigJson(SDXL_TEXT_WIDTH), _name_or_path: 'atelier/demo-sdxl', num_hidden_layers: SDXL_TEXT_LAYERS };
}

export function sdxlUnetConfigJson(kind: SdxlUnetKind, sampleSize: number): Json {
  const common = {
    ...unetConfigJson({ sampleSize, hiddenSize: SDXL_TEXT_WIDTH }),
    addition_embed_type: 'text_time',
    addition_embed_type_num_heads: 64,
    addition_time_embed_dim: 256,
    class_embed_type: null,
    time_cond_proj_dim: null,
    upcast_attention: null,
    use_linear_projection: true,
  };
  if (kind === 'refiner') {
    return {
      ...common,
      attention_head_dim: [6, 12, 24, 24],
      block_out_channels: [384, 768, 1536, 1536],
      cross_attention_dim: SDXL_TEXT_2_WIDTH,
      down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
      projection_class_embeddings_input_dim: SDXL_TEXT_2_WIDTH + 5 * 256,
      transformer_layers_per_block: 4,
      up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    };
  }
  return {
    ...common,
    attention_head_dim: [5, 10, 20],
    block_out_channels: [320, 640, 1280],
    cross_attention_dim: SDXL_TEXT_WIDTH + SDXL_TEXT_2_WIDTH,
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    projection_class_embeddings_input_dim: SDXL_TEXT_2_WIDTH + 6 * 256,
    transformer_layers_per_block: [1, 2, 10],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
  };
}

export function sdxlVaeConfigJson(sampleSize: number): Json {
  return { ...vaeConfigJson({ sampleSize }), force_upcast: true, scaling_factor: SDXL_SCALING_FACTOR };
}

export function inpaintModelIndexJson(): Json {
  return { ...modelIndexJson(), _class_name: 'StableDiffusionInpaintPipeline', _name_or_path: 'atelier/demo-sd15-inpaint' };
}

export function inpaintUnetConfigJson(sampleSize: number, hiddenSize: number): Json {
  return { ...unetConfigJson({ sampleSize, hiddenSize }), in_channels: INPAINT_CHANNELS.total };
}

export function lcmModelIndexJson(): Json {
  return {
    ...modelIndexJson(),
    _class_name: 'LatentConsistencyModelPipeline',
    _name_or_path: 'atelier/demo-sd15-lcm',
    scheduler: ['diffusers', 'LCMScheduler'],
  };
}

export function lcmUnetConfigJson(sampleSize: number, hiddenSize: number): Json {
  return { ...unetConfigJson({ sampleSize, hiddenSize }), time_cond_proj_dim: LCM_TIME_COND_DIM };
}

export function float16TextEncoderConfigJson(hiddenSize: number): Json {
  return { ...textEncoderConfigJson(hiddenSize), torch_dtype: 'float16' };
}

/** model_index.json of diffusers' old convert_stable_diffusion_checkpoint_to_onnx.py. */
export function wildModelIndexJson(): Json {
  return {
    _class_name: 'OnnxStableDiffusionPipeline',
    _diffusers_version: '0.6.0',
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
  };
}

export { schedulerConfigJson as pndmSchedulerJson };
