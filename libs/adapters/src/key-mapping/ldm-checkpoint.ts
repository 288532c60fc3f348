// Every tensor name of an original Stable Diffusion checkpoint (the single-file .safetensors that
// A1111 and ComfyUI load) → the component and diffusers parameter it feeds.
import { NO_TRANSFORM, type CheckpointTarget } from './components.js';
import { hfClipTargets, openClipTargets } from './ldm-text-encoder.js';
import { ldmUnetToDiffusers } from './ldm-unet.js';
import { ldmVaeToDiffusers } from './ldm-vae.js';

export type CheckpointKeyMapping =
  | { readonly kind: 'mapped'; readonly targets: readonly CheckpointTarget[] }
  /** Training state and buffers with no place in an inference export. */
  | { readonly kind: 'ignored' }
  | { readonly kind: 'unknown' };

export interface CheckpointMappingOptions {
  readonly layersPerBlock?: number;
  readonly vaeUpBlocks?: number;
}

const IGNORED = [
  /^model_ema\./,
  /^[^.]+$/, // DDPM schedule buffers: betas, alphas_cumprod, posterior_*, logvar …
  /\.position_ids$/,
  /^first_stage_model\.loss\./,
  /\.model\.visual\./,
  /\.logit_scale$/,
  /\.attn_mask$/,
];

export function mapCheckpointKey(key: string, options: CheckpointMappingOptions = {}): CheckpointKeyMapping {
  if (IGNORED.some((pattern) => pattern.test(key))) return { kind: 'ignored' };
  const mapped = (targets: readonly CheckpointTarget[]): CheckpointKeyMapping =>
    targets.length > 0 ? { kind: 'mapped', targets } : { kind: 'unknown' };
  const after = (prefix: string): string | undefined => (key.startsWith(prefix) ? key.slice(prefix.length) : undefined);

  const unet = after('model.diffusion_model.');
  if (unet !== undefined) {
    const parameter = ldmUnetToDiffusers(unet, { layersPerBlock: options.layersPerBlock });
    return mapped(parameter === undefined ? [] : [{ component: 'unet', parameter, transform: NO_TRANSFORM }]);
  }
  const sd1Clip = after('cond_stage_model.transformer.');
  if (sd1Clip !== undefined) return mapped(hfClipTargets('text_encoder', sd1Clip));
  const sd2Clip = after('cond_stage_model.model.');
  if (sd2Clip !== undefined) return mapped(openClipTargets('text_encoder', sd2Clip));
  const xlClipL = after('conditioner.embedders.0.transformer.');
  if (xlClipL !== undefined) return mapped(hfClipTargets('text_encoder', xlClipL));
  const xlClipG = after('conditioner.embedders.1.model.');
  if (xlClipG !== undefined) return mapped(openClipTargets('text_encoder_2', xlClipG));
  const vae = after('first_stage_model.');
  if (vae !== undefined) {
    const parameter = ldmVaeToDiffusers(vae, { upBlocks: options.vaeUpBlocks });
    if (parameter === undefined) return { kind: 'unknown' };
    const component = parameter.startsWith('encoder.') || parameter.startsWith('quant_conv.') ? 'vae_encoder' : 'vae_decoder';
    return mapped([{ component, parameter, transform: NO_TRANSFORM }]);
  }
  return { kind: 'unknown' };
}
