// Textual inversion with sd-scripts: train_textual_inversion.py (SD 1.x/2.x) or
// sdxl_train_textual_inversion.py, found beside train_network.py, with their own arguments
// (--token_string, --init_word, --num_vectors_per_token; --weights to start from an embedding).
// The result is an embedding file: emb_params [n, 768] for SD 1.x, clip_l [n, 768] and
// clip_g [n, 1280] for SDXL, exactly what @atelier/adapters' embedding loader reads.
import path from 'node:path';
import { parseSafetensors } from '@atelier/model-formats';
import type { TrainingParams } from '../engine/training-job.js';
import { EmbeddingFileError } from '../textual-inversion/embedding-file.js';
import type { KohyaLayout, KohyaSettings } from './kohya-command.js';
import { KOHYA_DREAMBOOTH_SCRIPTS, KOHYA_FINETUNE_SCRIPTS } from './kohya-dreambooth.js';
import type { TomlValue } from './toml.js';
import { addPreviewAndResume } from './kohya-run-options.js';

export type KohyaArchitecture = 'sd1' | 'sdxl';

export const KOHYA_TEXTUAL_INVERSION_SCRIPTS: Readonly<Record<KohyaArchitecture, string>> = {
  sd1: 'train_textual_inversion.py',
  sdxl: 'sdxl_train_textual_inversion.py',
};

export function kohyaArchitecture(params: TrainingParams, settings: KohyaSettings): KohyaArchitecture {
  return settings.architecture?.(params.baseModel) ?? 'sd1';
}

/** The sd-scripts script a job runs: train_network.py for LoRAs, the textual-inversion or DreamBooth script beside it otherwise. */
export function kohyaScriptPath(params: TrainingParams, settings: KohyaSettings): string {
  if (params.method === 'lora') return settings.scriptPath;
  const scripts = params.method === 'textual_inversion' ? KOHYA_TEXTUAL_INVERSION_SCRIPTS : params.method === 'finetune' ? KOHYA_FINETUNE_SCRIPTS : KOHYA_DREAMBOOTH_SCRIPTS;
  return path.join(path.dirname(settings.scriptPath), scripts[kohyaArchitecture(params, settings)]);
}

export function kohyaTextualInversionConfig(params: TrainingParams, settings: KohyaSettings, layout: KohyaLayout): Record<string, TomlValue> {
  const token = params.textualInversion;
  if (token === undefined) throw new RangeError('not a textual-inversion job');
  const config: Record<string, TomlValue> = {
    pretrained_model_name_or_path: settings.pretrainedModel ? settings.pretrainedModel(params.baseModel) : params.baseModel.dir,
    train_data_dir: layout.trainDataDir,
    output_dir: layout.outputDir,
    output_name: params.outputName,
    save_model_as: 'safetensors',
    token_string: token.placeholderToken,
    init_word: token.initializerToken,
    num_vectors_per_token: token.numVectors,
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
  if (params.saveEvery > 0) {
    config.save_every_n_steps = params.saveEvery;
    config.save_state = true;
  }
  if (params.minSnrGamma !== undefined) config.min_snr_gamma = params.minSnrGamma;
  // Without a state, the embedding so far is the starting weights (train_textual_inversion.py --weights).
  addPreviewAndResume(config, params, layout, 'weights');
  return { ...config, ...(settings.extraConfig ?? {}) };
}

/** Checks an embedding file kohya wrote: the tensors of its architecture, numVectors rows each. */
export function validateKohyaEmbedding(bytes: Uint8Array, expected: { readonly numVectors: number; readonly architecture: KohyaArchitecture }): void {
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    throw new EmbeddingFileError(`invalid safetensors (${(error as Error).message})`);
  }
  const widths: Record<string, number> = expected.architecture === 'sdxl' ? { clip_l: 768, clip_g: 1280 } : { emb_params: 0 };
  for (const [name, width] of Object.entries(widths)) {
    const entry = file.tensors.get(name);
    if (entry === undefined) throw new EmbeddingFileError(`no ${name} tensor (has ${[...file.tensors.keys()].slice(0, 5).join(', ')})`);
    if (entry.shape.length !== 2 || entry.shape[0] !== expected.numVectors || (width !== 0 && entry.shape[1] !== width)) {
      throw new EmbeddingFileError(`${name} is [${entry.shape.join(', ')}], expected [${expected.numVectors}, ${width === 0 ? 'width' : width}]`);
    }
  }
}
