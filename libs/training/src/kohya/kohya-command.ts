// The sd-scripts invocation for a job (train_network.py; textual inversion: see kohya-textual-inversion.ts): the command line (interpreter or launcher, script,
// --config_file) and the generated TOML holding every argument, in sd-scripts' own names.
import type { TrainingParams } from '../engine/training-job.js';
import { kohyaDreamBoothConfig } from './kohya-dreambooth.js';
import { kohyaArchitecture, kohyaScriptPath, kohyaTextualInversionConfig } from './kohya-textual-inversion.js';
import { toToml, type TomlValue } from './toml.js';
import { addPreviewAndResume } from './kohya-run-options.js';

export interface KohyaSettings {
  /** sd-scripts' train_network.py (KOHYA_TRAIN_NETWORK). */
  readonly scriptPath: string;
  /** What runs the script (KOHYA_PYTHON, default python3); e.g. "accelerate" with commandArgs ["launch"]. */
  readonly command?: string;
  readonly commandArgs?: readonly string[];
  /** PyTorch weights kohya trains on (a .safetensors checkpoint or a diffusers folder); default: the base model folder. */
  readonly pretrainedModel?: (baseModel: TrainingParams['baseModel']) => string;
  readonly mixedPrecision?: 'no' | 'fp16' | 'bf16';
  readonly optimizerType?: string;
  /** Class (regularisation) images for prior preservation, kohya's reg_data_dir. */
  readonly regDataDir?: string;
  /** More train_network.py arguments; they override the generated ones. */
  readonly extraConfig?: Readonly<Record<string, TomlValue>>;
  readonly env?: Readonly<Record<string, string>>;
  /** Where per-job folders are made (default: the OS temporary folder). */
  readonly workRoot?: string;
  /** SIGTERM → SIGKILL delay on cancel (default 10 s). */
  readonly killGraceMs?: number;
  /** Which scripts a base model needs (textual inversion: sdxl_train_textual_inversion.py for SDXL); default sd1. */
  readonly architecture?: (baseModel: TrainingParams['baseModel']) => 'sd1' | 'sdxl';
}

export interface KohyaLayout {
  readonly trainDataDir: string;
  /** finetune: fine_tune.py's metadata file ({ "<image path>": { "caption": … } }). */
  readonly inJson?: string;
  /** DreamBooth: the job's class pictures written as kohya's reg_data_dir (overrides settings.regDataDir). */
  readonly regDataDir?: string;
  readonly outputDir: string;
  readonly configPath: string;
  readonly samplePromptsPath?: string;
  /** --resume from an unpacked --save_state folder, or restart from LoRA weights at a step. */
  readonly resume?: { readonly stateDir: string } | { readonly networkWeights: string; readonly initialStep: number };
}

export interface KohyaInvocation {
  readonly command: string;
  readonly args: readonly string[];
  readonly config: Readonly<Record<string, TomlValue>>;
  readonly configToml: string;
}

export function kohyaSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<KohyaSettings, 'scriptPath' | 'command'> | undefined {
  const scriptPath = env.KOHYA_TRAIN_NETWORK;
  if (scriptPath === undefined || scriptPath === '') return undefined;
  return { scriptPath, command: env.KOHYA_PYTHON || undefined };
}

export function kohyaConfig(params: TrainingParams, settings: KohyaSettings, layout: KohyaLayout): Record<string, TomlValue> {
  if (params.method === 'textual_inversion') return kohyaTextualInversionConfig(params, settings, layout);
  if (params.method === 'dreambooth' || params.method === 'finetune') return kohyaDreamBoothConfig(params, settings, layout, kohyaArchitecture(params, settings));
  const config: Record<string, TomlValue> = {
    pretrained_model_name_or_path: settings.pretrainedModel ? settings.pretrainedModel(params.baseModel) : params.baseModel.dir,
    train_data_dir: layout.trainDataDir,
    output_dir: layout.outputDir,
    output_name: params.outputName,
    save_model_as: 'safetensors',
    network_module: 'networks.lora',
    network_dim: params.network.rank,
    network_alpha: params.network.alpha,
    network_train_unet_only: true,
    max_train_steps: params.maxTrainSteps,
    learning_rate: params.learningRate,
    unet_lr: params.learningRate,
    train_batch_size: params.batchSize,
    resolution: `${params.resolution.width},${params.resolution.height}`,
    seed: params.seed,
    caption_extension: params.captionExtension,
    mixed_precision: settings.mixedPrecision ?? 'fp16',
    save_precision: 'float',
    optimizer_type: settings.optimizerType ?? 'AdamW',
    lr_scheduler: params.lrScheduler,
    lr_warmup_steps: params.lrWarmupSteps,
    max_data_loader_n_workers: 0,
    metadata_title: params.outputName,
    metadata_tags: params.triggerWord,
  };
  if (params.saveEvery > 0) {
    config.save_every_n_steps = params.saveEvery;
    // Optimiser and RNG state beside each step checkpoint, so a resumed run continues exactly.
    config.save_state = true;
  }
  if (params.minSnrGamma !== undefined) config.min_snr_gamma = params.minSnrGamma;
  if (params.comment !== undefined) config.training_comment = params.comment;
  if (params.priorPreservation) {
    // DreamBooth LoRA: the job's own class pictures; otherwise the operator's folder.
    const regDataDir = layout.regDataDir ?? settings.regDataDir;
    if (regDataDir === undefined) throw new Error('prior preservation with the Kohya engine needs class images (settings.regDataDir)');
    config.reg_data_dir = regDataDir;
    config.prior_loss_weight = params.priorPreservation.weight;
  }
  addPreviewAndResume(config, params, layout, 'network_weights');
  return { ...config, ...(settings.extraConfig ?? {}) };
}

export function buildKohyaInvocation(params: TrainingParams, settings: KohyaSettings, layout: KohyaLayout): KohyaInvocation {
  const config = kohyaConfig(params, settings, layout);
  return {
    command: settings.command ?? 'python3',
    args: [...(settings.commandArgs ?? []), kohyaScriptPath(params, settings), '--config_file', layout.configPath],
    config,
    configToml: toToml(config),
  };
}

/** sd-scripts' sample prompt file: one prompt per line with --w/--h/--d/--s options. */
export function samplePromptsFile(params: TrainingParams): string {
  return params.samplePrompts
    .map((prompt) => `${prompt.replace(/[\r\n]+/g, ' ')} --w ${params.resolution.width} --h ${params.resolution.height} --d ${params.seed} --s 20`)
    .join('\n');
}
