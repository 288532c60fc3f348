// The tensor names LoRA files use, reduced to (component, module, part):
//
//   kohya / A1111     lora_unet_<flat module>.lora_down.weight | .lora_up.weight | .alpha
//                     lora_te_… (SD 1.x/2.x text encoder), lora_te1_… / lora_te2_… (SDXL)
//                     <flat module> is the module path with "_" for "." — diffusers names
//                     ("down_blocks_0_attentions_0_…") or LDM names ("input_blocks_4_1_…")
//   PEFT / diffusers  unet.<module>.lora_A[.adapter].weight | .lora_B[.adapter].weight | .alpha
//                     text_encoder.<module>…, text_encoder_2.<module>…
//   older diffusers   unet.<attention>.processor.to_q_lora.down.weight (to_out_lora → to_out.0)
//                     <prefix>.<module>.lora.down.weight, …lora_linear_layer.up.weight
//
// Parts other than down/up/alpha (LoHa hada_*, LoKr lokr_*, lora_mid, dora_scale) are kept as
// 'unsupported' so the merge reports them instead of merging something half-understood.
import type { LoraComponent } from './components.js';

export type LoraPart = 'down' | 'up' | 'alpha' | 'unsupported';

export interface LoraKey {
  readonly component: LoraComponent;
  /** Module path; flattened with "_" (kohya) or dotted (PEFT, diffusers). */
  readonly module: string;
  readonly flat: boolean;
  readonly part: LoraPart;
}

const KOHYA_COMPONENTS: Readonly<Record<string, LoraComponent>> = {
  lora_unet: 'unet',
  lora_te: 'text_encoder',
  lora_te1: 'text_encoder',
  lora_te2: 'text_encoder_2',
};

const KOHYA_PARTS: Readonly<Record<string, LoraPart>> = {
  'lora_down.weight': 'down',
  'lora_up.weight': 'up',
  alpha: 'alpha',
};

const DOTTED_COMPONENTS: Readonly<Record<string, LoraComponent>> = {
  unet: 'unet',
  text_encoder: 'text_encoder',
  text_encoder_2: 'text_encoder_2',
};

export function parseLoraKey(key: string): LoraKey | undefined {
  const kohya = /^(lora_unet|lora_te1|lora_te2|lora_te)_([^.]+)\.(.+)$/.exec(key);
  if (kohya !== null) {
    const [, prefix, module, suffix] = kohya;
    return { component: KOHYA_COMPONENTS[prefix], module, flat: true, part: KOHYA_PARTS[suffix] ?? 'unsupported' };
  }

  const dotted = /^(unet|text_encoder_2|text_encoder|base_model\.model)\.(.+)$/.exec(key);
  if (dotted === null) return undefined;
  const [, prefix, rest] = dotted;
  const parsed = dottedModulePart(rest);
  if (parsed === undefined) return undefined;
  const component = DOTTED_COMPONENTS[prefix] ?? (parsed.module.startsWith('text_model.') ? 'text_encoder' : 'unet');
  return { component, module: parsed.module, flat: false, part: parsed.part };
}

function dottedModulePart(rest: string): { module: string; part: LoraPart } | undefined {
  const peft = /^(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$/.exec(rest);
  if (peft !== null) return { module: peft[1], part: peft[2] === 'A' ? 'down' : 'up' };
  const processor = /^(.+)\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$/.exec(rest);
  if (processor !== null) {
    const projection = processor[2] === 'to_out' ? 'to_out.0' : processor[2];
    return { module: `${processor[1]}.${projection}`, part: processor[3] as LoraPart };
  }
  const layer = /^(.+)\.(?:lora|lora_linear_layer)\.(down|up)\.weight$/.exec(rest);
  if (layer !== null) return { module: layer[1], part: layer[2] as LoraPart };
  const alpha = /^(.+)\.alpha$/.exec(rest);
  if (alpha !== null) return { module: alpha[1], part: 'alpha' };
  const other = /^(.+)\.(lora_magnitude_vector|lora_embedding_[AB])(?:\.[^.]+)?(?:\.weight)?$/.exec(rest);
  if (other !== null) return { module: other[1], part: 'unsupported' };
  return undefined;
}
