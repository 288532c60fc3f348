import { parseSchedulerConfig, resolveScheduler, schedulerForModelDefault } from '../schedulers/index.js';
import type { NoiseScheduleConfig, SchedulerDefinition } from '../schedulers/scheduler.js';
import { loadBundledClipTokenizer } from '../text/bundled-tokenizer.js';
import { ClipTokenizer } from '../text/clip-tokenizer.js';
import { detectFamily, InvalidModelError, type ModelFamily, type ModelFolder } from './model-folder.js';
import { detectVariant, type ModelVariant, type VariantDetection } from './model-variant.js';

/** Steps and guidance a request gets when it names neither and the model is no known variant. */
export const DEFAULT_STEPS = 25;
export const DEFAULT_GUIDANCE_SCALE = 7.5;

export interface ModelSummaryData {
  readonly id: string;
  readonly family: ModelFamily;
  /** Distilled / few-step variant detected from the files (ssd-1b, vega, sdxl-turbo, sd-turbo, lcm), or null. */
  readonly variant: ModelVariant | null;
  /** What the variant was detected from, or null. */
  readonly variant_evidence: string | null;
  readonly prediction_type: string;
  readonly default_width: number;
  readonly default_height: number;
  readonly default_scheduler: string;
  readonly default_steps: number;
  readonly default_guidance_scale: number;
  readonly timestep_spacing: string;
  readonly size_multiple: number;
  readonly refiner: string | null;
  readonly inpainting: boolean;
  /** Has a residual-accepting UNet: ControlNets can steer it. */
  readonly controlnet: boolean;
  /** Has a UNet exported with IP-Adapter image attention (`ip_unet/`), and one also taking ControlNet residuals (`ip_controlnet/`). */
  readonly ip_unet: boolean;
  readonly ip_controlnet: boolean;
  readonly cross_attention_dim: number | null;
  readonly description: string;
}

/** The raw scheduler file with the variant's recommended spacing where the file names none. */
function schedulerFileWithVariant(folder: ModelFolder, variant: VariantDetection | undefined): Readonly<Record<string, unknown>> {
  const spacing = variant?.recommended.timestepSpacing;
  if (spacing === undefined || folder.schedulerConfig.timestep_spacing !== undefined) return folder.schedulerConfig;
  return { ...folder.schedulerConfig, timestep_spacing: spacing };
}

/** A model folder with what every job needs parsed once: tokenizers, scheduler config, family, variant. */
export class LoadedModel {
  private constructor(
    readonly folder: ModelFolder,
    readonly family: ModelFamily,
    readonly variant: VariantDetection | undefined,
    readonly tokenizer: ClipTokenizer,
    readonly tokenizer2: ClipTokenizer | undefined,
    readonly schedulerConfig: NoiseScheduleConfig,
    readonly defaultScheduler: SchedulerDefinition,
  ) {}

  static async open(folder: ModelFolder): Promise<LoadedModel> {
    const variant = detectVariant({ id: folder.id, names: folder.namesOrPaths, unetConfig: folder.unetConfig, schedulerConfig: folder.schedulerConfig });
    const schedulerFile = schedulerFileWithVariant(folder, variant);
    let schedulerConfig: NoiseScheduleConfig;
    try {
      schedulerConfig = parseSchedulerConfig(schedulerFile);
    } catch (error) {
      throw new InvalidModelError(folder.dir, `scheduler_config.json: ${(error as Error).message}`);
    }
    const tokenizer = folder.components.tokenizer ? await ClipTokenizer.fromFolder(folder.components.tokenizer) : await loadBundledClipTokenizer();
    const tokenizer2 = folder.components.tokenizer2 ? await ClipTokenizer.fromFolder(folder.components.tokenizer2) : undefined;
    const family = detectFamily(folder, schedulerConfig.prediction_type);
    // A variant's recommended sampler (Turbo: Euler a, LCM: LCM), else the class its scheduler file names.
    const recommended = variant?.recommended.scheduler;
    const defaultScheduler = recommended !== undefined ? resolveScheduler(recommended).definition : schedulerForModelDefault(schedulerFile);
    return new LoadedModel(folder, family, variant, tokenizer, tokenizer2, schedulerConfig, defaultScheduler);
  }

  get id(): string {
    return this.folder.id;
  }

  summary(): ModelSummaryData {
    const inChannels = typeof this.folder.unetConfig.in_channels === 'number' ? this.folder.unetConfig.in_channels : 4;
    const recommended = this.variant?.recommended;
    const sizeFromVariant = !this.folder.sizeFromManifest && recommended?.width !== undefined && recommended.height !== undefined;
    return {
      id: this.id,
      family: this.family,
      variant: this.variant?.variant ?? null,
      variant_evidence: this.variant?.evidence ?? null,
      prediction_type: this.schedulerConfig.prediction_type,
      default_width: sizeFromVariant && recommended?.width ? recommended.width : this.folder.defaultWidth,
      default_height: sizeFromVariant && recommended?.height ? recommended.height : this.folder.defaultHeight,
      default_scheduler: this.folder.defaultScheduler ?? this.defaultScheduler.id,
      default_steps: recommended?.steps ?? DEFAULT_STEPS,
      default_guidance_scale: recommended?.guidanceScale ?? DEFAULT_GUIDANCE_SCALE,
      timestep_spacing: this.schedulerConfig.timestep_spacing,
      size_multiple: this.folder.vaeScaleFactor,
      refiner: this.folder.refiner ?? null,
      inpainting: inChannels === 9,
      controlnet: this.folder.components.controlnetUnet !== undefined,
      ip_unet: this.folder.components.ipUnet !== undefined,
      ip_controlnet: this.folder.components.ipControlnetUnet !== undefined,
      cross_attention_dim: typeof this.folder.unetConfig.cross_attention_dim === 'number' ? this.folder.unetConfig.cross_attention_dim : null,
      description: this.folder.description,
    };
  }
}
