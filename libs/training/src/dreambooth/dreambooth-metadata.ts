// What a DreamBooth checkpoint says about how it was made: kohya's ss_* keys that apply to a
// full fine-tune (train_db.py writes no network keys) plus Atelier's own.
import type { TrainingParams } from '../engine/training-job.js';

export interface DreamBoothMetadataInput {
  readonly jobId: string;
  readonly params: TrainingParams;
  readonly instanceImages: number;
  readonly classImages: number;
  readonly optimizer: string;
  readonly stepsDone: number;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
}

const seconds = (date: Date): string => String(date.getTime() / 1000);

export function dreamboothMetadata(input: DreamBoothMetadataInput): Record<string, string> {
  const { params } = input;
  return {
    ss_training_comment: params.comment ?? '',
    ss_sd_model_name: params.baseModel.id,
    ss_output_name: params.outputName,
    ss_learning_rate: String(params.learningRate),
    ss_lr_scheduler: params.lrScheduler,
    ss_lr_warmup_steps: String(params.lrWarmupSteps),
    ss_max_train_steps: String(params.maxTrainSteps),
    ss_steps: String(input.stepsDone),
    ss_train_batch_size: String(params.batchSize),
    ss_resolution: `(${params.resolution.width}, ${params.resolution.height})`,
    ss_seed: String(params.seed),
    ss_num_train_images: String(input.instanceImages),
    ss_num_reg_images: String(input.classImages),
    ss_prior_loss_weight: String(params.priorPreservation?.weight ?? 1),
    ss_optimizer: input.optimizer,
    ss_training_started_at: seconds(input.startedAt),
    ...(input.finishedAt ? { ss_training_finished_at: seconds(input.finishedAt) } : {}),
    ...(params.minSnrGamma === undefined ? {} : { ss_min_snr_gamma: String(params.minSnrGamma) }),
    atelier_training_id: input.jobId,
    atelier_method: params.method,
    atelier_identifier: params.triggerWord,
    atelier_class_prompt: params.priorPreservation?.classPrompt ?? '',
  };
}
