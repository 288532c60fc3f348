// DreamBooth with sd-scripts: train_db.py (SD 1.x/2.x) or sdxl_train.py, found beside
// train_network.py: a full fine-tune of the checkpoint with the instance folder as train_data_dir
// and the class pictures as reg_data_dir (prior_loss_weight). UNet only, as the built-in engine:
// train_db.py trains the text encoder unless --stop_text_encoder_training is negative, sdxl_train.py
// only with --train_text_encoder. The result is a whole checkpoint in Stable Diffusion names
// (save_model_as safetensors), which the worker refits into the base export.
import { parseSafetensors } from '@atelier/model-formats';
import type { TrainingParams } from '../engine/training-job.js';
import { TrainingFailedError } from '../engine/trainer-engine.js';
import type { KohyaLayout, KohyaSettings } from './kohya-command.js';
import type { KohyaArchitecture } from './kohya-textual-inversion.js';
import type { TomlValue } from './toml.js';
import { addPreviewAndResume } from './kohya-run-options.js';

export const KOHYA_DREAMBOOTH_SCRIPTS: Readonly<Record<KohyaArchitecture, string>> = {
  sd1: 'train_db.py',
  sdxl: 'sdxl_train.py',
};

/** finetune: fine_tune.py reads captions from an in_json metadata file, not from the folder. */
export const KOHYA_FINETUNE_SCRIPTS: Readonly<Record<KohyaArchitecture, string>> = {
  sd1: 'fine_tune.py',
  sdxl: 'sdxl_train.py',
};

const UNET_PREFIX = 'model.diffusion_model.';

export function kohyaDreamBoothConfig(params: TrainingParams, settings: KohyaSettings, layout: KohyaLayout, architecture: KohyaArchitecture): Record<string, TomlValue> {
  const config: Record<string, TomlValue> = {
    pretrained_model_name_or_path: settings.pretrainedModel ? settings.pretrainedModel(params.baseModel) : params.baseModel.dir,
    train_data_dir: layout.trainDataDir,
    output_dir: layout.outputDir,
    output_name: params.outputName,
    save_model_as: 'safetensors',
    max_train_steps: params.maxTrainSteps,
    learning_rate: params.learningRate,
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
  };
  if (params.method === 'finetune') {
    // fine_tune.py / sdxl_train.py: a fine-tuning dataset (captions in in_json), text encoders
    // frozen without --train_text_encoder; no caption files, no class pictures.
    if (layout.inJson === undefined) throw new RangeError('finetune needs the in_json metadata file');
    config.in_json = layout.inJson;
    delete config.caption_extension;
  } else if (architecture === 'sd1') {
    // UNet only: sdxl_train.py leaves the text encoders frozen without --train_text_encoder.
    config.stop_text_encoder_training = -1;
  }
  const regDataDir = layout.regDataDir ?? settings.regDataDir;
  if (params.priorPreservation) {
    if (regDataDir === undefined) throw new RangeError('prior preservation needs class pictures (reg_data_dir)');
    config.reg_data_dir = regDataDir;
    config.prior_loss_weight = params.priorPreservation.weight;
  }
  if (params.saveEvery > 0) {
    config.save_every_n_steps = params.saveEvery;
    config.save_state = true;
  }
  if (params.minSnrGamma !== undefined) config.min_snr_gamma = params.minSnrGamma;
  if (params.comment !== undefined) config.training_comment = params.comment;
  // Without a state the step checkpoint itself is the model to continue from.
  addPreviewAndResume(config, params, layout, 'pretrained_model_name_or_path');
  return { ...config, ...(settings.extraConfig ?? {}) };
}

/** A checkpoint kohya wrote: safetensors with UNet weights in Stable Diffusion names. */
export function validateKohyaCheckpoint(bytes: Uint8Array): void {
  let names: string[];
  try {
    names = [...parseSafetensors(bytes).tensors.keys()];
  } catch (error) {
    throw new TrainingFailedError(`the DreamBooth checkpoint is not safetensors (${(error as Error).message})`);
  }
  if (!names.some((name) => name.startsWith(UNET_PREFIX))) throw new TrainingFailedError(`the DreamBooth checkpoint has no ${UNET_PREFIX}* weights (has ${names.slice(0, 5).join(', ')})`);
}
