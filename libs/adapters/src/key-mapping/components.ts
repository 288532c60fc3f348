/** The ONNX component folders of a diffusers / Optimum export that carry trainable weights. */
export const COMPONENTS = ['unet', 'text_encoder', 'text_encoder_2', 'vae_encoder', 'vae_decoder'] as const;

export type ComponentName = (typeof COMPONENTS)[number];

/** Components a LoRA can address. */
export type LoraComponent = 'unet' | 'text_encoder' | 'text_encoder_2';

/**
 * How a checkpoint tensor becomes a diffusers parameter before it meets the export's layout:
 * unchanged, transposed (OpenCLIP's text_projection is stored [in, out]), or one of `of` equal
 * row blocks (OpenCLIP fuses q, k and v into one in_proj tensor).
 */
export type SourceTransform =
  | { readonly kind: 'none' }
  | { readonly kind: 'transpose' }
  | { readonly kind: 'rows'; readonly part: number; readonly of: number };

export interface CheckpointTarget {
  readonly component: ComponentName;
  /** diffusers parameter name inside that component, e.g. "down_blocks.0.resnets.0.conv1.weight". */
  readonly parameter: string;
  readonly transform: SourceTransform;
}

export const NO_TRANSFORM: SourceTransform = { kind: 'none' };
