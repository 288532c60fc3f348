// Training metadata in the keys kohya's sd-scripts write (ss_*), which A1111, ComfyUI and
// civitai read to show how a LoRA was made, plus Atelier's own (atelier_*).
import type { TrainingParams } from '../engine/training-job.js';

export interface MetadataInput {
  readonly jobId: string;
  readonly params: TrainingParams;
  /** Captions of the training images, for ss_tag_frequency. */
  readonly captions: readonly string[];
  readonly engine: string;
  readonly optimizer: string;
  readonly stepsDone: number;
  readonly epoch: number;
  readonly batchesPerEpoch: number;
  readonly totalEpochs: number;
  readonly startedAt: Date;
  /** Set on the final file only. */
  readonly finishedAt?: Date;
}

const seconds = (date: Date): string => String(date.getTime() / 1000);

/** The folder name kohya derives from the repeats and the concept: "1_zxq". */
export function datasetDirName(params: Pick<TrainingParams, 'triggerWord'>): string {
  return `1_${params.triggerWord.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

/** kohya counts comma-separated tags per dataset folder. */
export function tagFrequency(captions: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const caption of captions) {
    for (const tag of caption.split(',').map((part) => part.trim()).filter((part) => part !== '')) counts[tag] = (counts[tag] ?? 0) + 1;
  }
  return counts;
}

export function trainingMetadata(input: MetadataInput): Record<string, string> {
  const { params } = input;
  const dir = datasetDirName(params);
  const metadata: Record<string, string> = {
    ss_session_id: input.jobId,
    ss_training_started_at: seconds(input.startedAt),
    ss_output_name: params.outputName,
    ss_learning_rate: String(params.learningRate),
    ss_unet_lr: String(params.learningRate),
    ss_text_encoder_lr: 'None',
    ss_network_train_unet_only: 'True',
    ss_num_train_images: String(input.captions.length),
    ss_num_reg_images: String(params.priorPreservation ? input.captions.length : 0),
    ss_num_batches_per_epoch: String(input.batchesPerEpoch),
    ss_num_epochs: String(input.totalEpochs),
    ss_epoch: String(input.epoch),
    ss_batch_size_per_device: String(params.batchSize),
    ss_total_batch_size: String(params.batchSize),
    ss_steps: String(input.stepsDone),
    ss_max_train_steps: String(params.maxTrainSteps),
    ss_lr_warmup_steps: String(params.lrWarmupSteps),
    ss_lr_scheduler: params.lrScheduler,
    ss_network_module: 'networks.lora',
    ss_network_dim: String(params.network.rank),
    ss_network_alpha: String(params.network.alpha),
    ss_mixed_precision: 'no',
    ss_optimizer: input.optimizer,
    ss_seed: String(params.seed),
    ss_resolution: `(${params.resolution.width}, ${params.resolution.height})`,
    ss_base_model_version: 'sd_v1',
    ss_sd_model_name: params.baseModel.id,
    ss_v2: 'False',
    ss_clip_skip: 'None',
    ss_min_snr_gamma: params.minSnrGamma === undefined ? 'None' : String(params.minSnrGamma),
    ss_prior_loss_weight: String(params.priorPreservation?.weight ?? 1),
    ss_caption_extension: params.captionExtension,
    ss_tag_frequency: JSON.stringify({ [dir]: tagFrequency(input.captions) }),
    ss_dataset_dirs: JSON.stringify({ [dir]: { n_repeats: 1, img_count: input.captions.length } }),
    'modelspec.sai_model_spec': '1.0.0',
    'modelspec.architecture': 'stable-diffusion-v1/lora',
    'modelspec.implementation': 'diffusers',
    'modelspec.title': params.outputName,
    'modelspec.resolution': `${params.resolution.width}x${params.resolution.height}`,
    'modelspec.trigger_phrase': params.triggerWord,
    atelier_trigger_word: params.triggerWord,
    atelier_engine: input.engine,
    atelier_job_id: input.jobId,
  };
  if (params.comment !== undefined) metadata.ss_training_comment = params.comment;
  if (params.priorPreservation) metadata.atelier_class_prompt = params.priorPreservation.classPrompt;
  if (input.finishedAt !== undefined) metadata.ss_training_finished_at = seconds(input.finishedAt);
  return metadata;
}
