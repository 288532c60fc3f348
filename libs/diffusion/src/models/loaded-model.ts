import { parseSchedulerConfig, schedulerForModelDefault } from '../schedulers/index.js';
import type { NoiseScheduleConfig, SchedulerDefinition } from '../schedulers/scheduler.js';
import { loadBundledClipTokenizer } from '../text/bundled-tokenizer.js';
import { ClipTokenizer } from '../text/clip-tokenizer.js';
import { detectFamily, InvalidModelError, type ModelFamily, type ModelFolder } from './model-folder.js';

export interface ModelSummaryData {
  readonly id: string;
  readonly family: ModelFamily;
  readonly prediction_type: string;
  readonly default_width: number;
  readonly default_height: number;
  readonly default_scheduler: string;
  readonly size_multiple: number;
  readonly refiner: string | null;
  readonly inpainting: boolean;
  /** Has a residual-accepting UNet: ControlNets can steer it. */
  readonly controlnet: boolean;
  readonly cross_attention_dim: number | null;
  readonly description: string;
}

/** A model folder with what every job needs parsed once: tokenizers, scheduler config, family. */
export class LoadedModel {
  private constructor(
    readonly folder: ModelFolder,
    readonly family: ModelFamily,
    readonly tokenizer: ClipTokenizer,
    readonly tokenizer2: ClipTokenizer | undefined,
    readonly schedulerConfig: NoiseScheduleConfig,
    readonly defaultScheduler: SchedulerDefinition,
  ) {}

  static async open(folder: ModelFolder): Promise<LoadedModel> {
    let schedulerConfig: NoiseScheduleConfig;
    try {
      schedulerConfig = parseSchedulerConfig(folder.schedulerConfig);
    } catch (error) {
      throw new InvalidModelError(folder.dir, `scheduler_config.json: ${(error as Error).message}`);
    }
    const tokenizer = folder.components.tokenizer ? await ClipTokenizer.fromFolder(folder.components.tokenizer) : await loadBundledClipTokenizer();
    const tokenizer2 = folder.components.tokenizer2 ? await ClipTokenizer.fromFolder(folder.components.tokenizer2) : undefined;
    const family = detectFamily(folder, schedulerConfig.prediction_type);
    return new LoadedModel(folder, family, tokenizer, tokenizer2, schedulerConfig, schedulerForModelDefault(folder.schedulerConfig));
  }

  get id(): string {
    return this.folder.id;
  }

  summary(): ModelSummaryData {
    const inChannels = typeof this.folder.unetConfig.in_channels === 'number' ? this.folder.unetConfig.in_channels : 4;
    return {
      id: this.id,
      family: this.family,
      prediction_type: this.schedulerConfig.prediction_type,
      default_width: this.folder.defaultWidth,
      default_height: this.folder.defaultHeight,
      default_scheduler: this.folder.defaultScheduler ?? this.defaultScheduler.id,
      size_multiple: this.folder.vaeScaleFactor,
      refiner: this.folder.refiner ?? null,
      inpainting: inChannels === 9,
      controlnet: this.folder.components.controlnetUnet !== undefined,
      cross_attention_dim: typeof this.folder.unetConfig.cross_attention_dim === 'number' ? this.folder.unetConfig.cross_attention_dim : null,
      description: this.folder.description,
    };
  }
}
