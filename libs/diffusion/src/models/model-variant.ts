// Distilled and few-step model variants, told apart by what a folder's files say:
//
//   lcm         unet/config.json `time_cond_proj_dim` set (an LCM-distilled UNet), scheduler
//               `_class_name` "LCMScheduler", or a name with "lcm" in it
//   sdxl-turbo  a name with "sdxl-turbo" in it (the files are plain SDXL otherwise)
//   sd-turbo    a name with "sd-turbo" in it (plain SD 2.1 otherwise)
//   ssd-1b      SSD-1B's UNet layout (transformer layers down [-, 2, 4], up [[4, 4, 10], [2, 1, 1], -],
//               no mid-block attention), or a name with "ssd-1b" in it
//   vega        Segmind-Vega's layout (down [-, 1, 2], up [[2, 2, 2], [1, 1, 1], -], no mid-block
//               attention), or a name with the word "vega" in it
//
// "A name" is `_name_or_path` of model_index.json or unet/config.json (diffusers and Optimum write
// the Hub id there) or the model id (the folder name). The layouts are the real checkpoints' (as
// ComfyUI's model detection lists them), so a renamed SSD-1B or Vega export is still recognised.
import type { TimestepSpacing } from '../schedulers/scheduler.js';

export type ModelVariant = 'lcm' | 'sdxl-turbo' | 'sd-turbo' | 'ssd-1b' | 'vega';

/** What a variant is meant to run with (the model cards' settings). */
export interface RecommendedSettings {
  readonly width?: number;
  readonly height?: number;
  readonly steps: number;
  readonly guidanceScale: number;
  /** Sampler name (GET /v1/schedulers); absent: the folder's own scheduler. */
  readonly scheduler?: string;
  /** Applied only when scheduler_config.json has no `timestep_spacing` of its own. */
  readonly timestepSpacing?: TimestepSpacing;
}

export interface VariantDetection {
  readonly variant: ModelVariant;
  /** What was read: "unet/config.json time_cond_proj_dim=256", "model_index.json _name_or_path=segmind/SSD-1B", … */
  readonly evidence: string;
  readonly recommended: RecommendedSettings;
}

export interface VariantSources {
  readonly id: string;
  /** `_name_or_path` of model_index.json and unet/config.json, where present ("model_index.json _name_or_path"). */
  readonly names: ReadonlyArray<{ readonly source: string; readonly value: string }>;
  readonly unetConfig: Readonly<Record<string, unknown>>;
  readonly schedulerConfig: Readonly<Record<string, unknown>>;
}

/** Transformer layers of each attention of each block, as `down|mid|up` text ("-" for no attention). */
export function transformerLayout(unet: Readonly<Record<string, unknown>>): string | undefined {
  const downTypes = stringList(unet.down_block_types);
  const upTypes = stringList(unet.up_block_types);
  if (!downTypes || !upTypes) return undefined;
  const layersPerBlock = typeof unet.layers_per_block === 'number' ? unet.layers_per_block : 2;
  const perBlock = (value: unknown, index: number, count: number): number[] => {
    const entry = Array.isArray(value) ? (value as unknown[])[index] : value;
    if (Array.isArray(entry)) return entry.map((layers) => (typeof layers === 'number' ? layers : 1));
    return new Array<number>(count).fill(typeof entry === 'number' ? entry : 1);
  };
  const down = downTypes.map((type, index) => (type.startsWith('CrossAttn') ? perBlock(unet.transformer_layers_per_block, index, layersPerBlock).join(',') : '-'));
  const reversed = Array.isArray(unet.transformer_layers_per_block) ? [...(unet.transformer_layers_per_block as unknown[])].reverse() : unet.transformer_layers_per_block;
  const upSource = unet.reverse_transformer_layers_per_block ?? reversed;
  const up = upTypes.map((type, index) => (type.startsWith('CrossAttn') ? perBlock(upSource, index, layersPerBlock + 1).join(',') : '-'));
  const midType = unet.mid_block_type === undefined ? 'UNetMidBlock2DCrossAttn' : unet.mid_block_type;
  const lastDown = perBlock(unet.transformer_layers_per_block, downTypes.length - 1, 1)[0];
  const mid = midType === 'UNetMidBlock2DCrossAttn' ? String(lastDown) : '-';
  return `${down.join('|')} / ${mid} / ${up.join('|')}`;
}

/** The real checkpoints' layouts in `transformerLayout` form. */
export const KNOWN_LAYOUTS: Readonly<Record<'ssd-1b' | 'vega', string>> = {
  'ssd-1b': '-|2,2|4,4 / - / 4,4,10|2,1,1|-',
  vega: '-|1,1|2,2 / - / 2,2,2|1,1,1|-',
};

const RECOMMENDED: Readonly<Record<ModelVariant, RecommendedSettings>> = {
  // LCM-LoRA / LCM-distilled: 2–8 steps; guidance ≈ 1 (the LCM UNets embed it instead, see below).
  lcm: { steps: 4, guidanceScale: 1, scheduler: 'LCM' },
  // Adversarially distilled at 512²: 1–4 steps, no classifier-free guidance, trailing timesteps.
  'sdxl-turbo': { width: 512, height: 512, steps: 1, guidanceScale: 0, scheduler: 'Euler a', timestepSpacing: 'trailing' },
  'sd-turbo': { width: 512, height: 512, steps: 1, guidanceScale: 0, scheduler: 'Euler a', timestepSpacing: 'trailing' },
  // Segmind's cards: 1024², 25 steps, guidance 7–9.
  'ssd-1b': { width: 1024, height: 1024, steps: 25, guidanceScale: 9 },
  vega: { width: 1024, height: 1024, steps: 25, guidanceScale: 9 },
};

/** diffusers' LatentConsistencyModelPipeline default: an LCM UNet reads w from its embedding, no CFG pass. */
const EMBEDDED_LCM_GUIDANCE = 8.5;

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? (value as string[]) : undefined;
}

function detection(variant: ModelVariant, evidence: string, recommended: RecommendedSettings = RECOMMENDED[variant]): VariantDetection {
  return { variant, evidence, recommended };
}

/** The variant a folder's files name, with what was read; undefined for a plain model. */
export function detectVariant(sources: VariantSources): VariantDetection | undefined {
  const names = [...sources.names, { source: 'model id', value: sources.id }];
  const named = (pattern: RegExp): string | undefined => {
    const hit = names.find((name) => pattern.test(name.value));
    return hit ? `${hit.source}=${hit.value}` : undefined;
  };

  const timeCond = sources.unetConfig.time_cond_proj_dim;
  if (typeof timeCond === 'number') {
    return detection('lcm', `unet/config.json time_cond_proj_dim=${timeCond}`, { ...RECOMMENDED.lcm, guidanceScale: EMBEDDED_LCM_GUIDANCE });
  }
  if (sources.schedulerConfig._class_name === 'LCMScheduler') return detection('lcm', 'scheduler/scheduler_config.json _class_name=LCMScheduler');
  const lcmName = named(/(^|[^a-z])lcm([^a-z]|$)/i);
  if (lcmName) return detection('lcm', lcmName);

  const sdxlTurbo = named(/sdxl[-_]?turbo/i);
  if (sdxlTurbo) return detection('sdxl-turbo', sdxlTurbo);
  const sdTurbo = named(/sd[-_]?turbo/i);
  if (sdTurbo) return detection('sd-turbo', sdTurbo);

  const layout = transformerLayout(sources.unetConfig);
  for (const variant of ['ssd-1b', 'vega'] as const) {
    if (layout === KNOWN_LAYOUTS[variant]) return detection(variant, `unet/config.json transformer layers ${layout}`);
  }
  const ssd = named(/ssd[-_]?1b/i);
  if (ssd) return detection('ssd-1b', ssd);
  const vega = named(/(^|[^a-z])vega([^a-z]|$)/i);
  if (vega) return detection('vega', vega);
  return undefined;
}
