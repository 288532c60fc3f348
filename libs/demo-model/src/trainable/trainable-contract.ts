import { SUMMARY_FEATURES } from '../features.js';

/**
 * Where the trainable demo model keeps its one learnable layer, named exactly as a diffusers
 * export names a Linear layer: a MatMul node under the module path and a transposed weight
 * initializer "onnx::MatMul_<n>" ([in, out]). LoRA files address it as
 * `lora_unet_mid_block_attentions_0_proj_out`.
 */
export const TRAINABLE_LAYER = {
  module: 'mid_block.attentions.0.proj_out',
  node: '/mid_block/attentions.0/proj_out/MatMul',
  initializer: 'onnx::MatMul_9137',
  kohyaPrefix: 'lora_unet_mid_block_attentions_0_proj_out',
} as const;

/** The prompt embedding e sits right after the demo summary in every hidden-state position. */
export const PROMPT_EMBEDDING_OFFSET = SUMMARY_FEATURES.size;

export const DEFAULT_PROMPT_EMBEDDING_SIZE = 32;
/** Latent side of the learned residual picture: 8 × 8 latents, i.e. 64 × 64 pixels. */
export const DEFAULT_RESIDUAL_SIDE = 8;
export const RESIDUAL_CHANNELS = 4;
export const DEFAULT_TOKEN_EMBEDDING_SEED = 0x7a7871;

/** Written as atelier-trainable.json so trainers read the contract instead of assuming it. */
export const TRAINABLE_MANIFEST_FILE = 'atelier-trainable.json';

export interface TrainableDemoContract {
  readonly builder: 'atelier-trainable-demo';
  readonly version: 1;
  readonly module: string;
  readonly node: string;
  readonly initializer: string;
  readonly kohyaPrefix: string;
  /** Feature index of e in encoder_hidden_states. */
  readonly embeddingOffset: number;
  readonly embeddingSize: number;
  readonly tokenEmbeddingSeed: number;
  /** R = reshape(W·e) to [channels, height, width], resized (bilinear, half_pixel) to the latent grid. */
  readonly residual: { readonly channels: number; readonly height: number; readonly width: number };
  readonly scalingFactor: number;
  readonly predictionType: 'epsilon' | 'v_prediction';
  readonly hiddenSize: number;
}

/** W's [out, in] in PyTorch order; the initializer stores its transpose [in, out]. */
export function residualWeightShape(contract: Pick<TrainableDemoContract, 'embeddingSize' | 'residual'>): { out: number; in: number } {
  const { channels, height, width } = contract.residual;
  return { out: channels * height * width, in: contract.embeddingSize };
}
