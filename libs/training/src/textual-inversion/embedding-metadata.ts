// Metadata of a trained embedding: the kohya keys that apply to textual inversion (what A1111
// and civitai show) and Atelier's own.
import type { TrainingParams } from '../engine/training-job.js';
import { tagFrequency } from '../lora/training-metadata.js';

export interface EmbeddingMetadataInput {
  readonly jobId: string;
  readonly params: TrainingParams;
  readonly captions: readonly string[];
  readonly engine: string;
  readonly optimizer: string;
  readonly stepsDone: number;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
}

const seconds = (date: Date): string => String(date.getTime() / 1000);

export function textualInversionMetadata(input: EmbeddingMetadataInput): Record<string, string> {
  const { params } = input;
  const token = params.textualInversion;
  if (token === undefined) throw new RangeError('not a textual-inversion job');
  const metadata: Record<string, string> = {
    ss_session_id: input.jobId,
    ss_training_started_at: seconds(input.startedAt),
    ss_output_name: token.placeholderToken,
    ss_learning_rate: String(params.learningRate),
    ss_num_train_images: String(input.captions.length),
    ss_batch_size_per_device: String(params.batchSize),
    ss_steps: String(input.stepsDone),
    ss_max_train_steps: String(params.maxTrainSteps),
    ss_lr_scheduler: params.lrScheduler,
    ss_lr_warmup_steps: String(params.lrWarmupSteps),
    ss_optimizer: input.optimizer,
    ss_seed: String(params.seed),
    ss_resolution: `(${params.resolution.width}, ${params.resolution.height})`,
    ss_sd_model_name: params.baseModel.id,
    ss_base_model_version: 'sd_v1',
    ss_min_snr_gamma: params.minSnrGamma === undefined ? 'None' : String(params.minSnrGamma),
    ss_tag_frequency: JSON.stringify({ [token.placeholderToken]: tagFrequency(input.captions) }),
    'modelspec.sai_model_spec': '1.0.0',
    'modelspec.architecture': 'stable-diffusion-v1/textual-inversion',
    'modelspec.title': token.placeholderToken,
    'modelspec.resolution': `${params.resolution.width}x${params.resolution.height}`,
    atelier_placeholder_token: token.placeholderToken,
    atelier_initializer_token: token.initializerToken,
    atelier_num_vectors: String(token.numVectors),
    atelier_engine: input.engine,
    atelier_job_id: input.jobId,
  };
  if (params.comment !== undefined) metadata.ss_training_comment = params.comment;
  if (input.finishedAt !== undefined) metadata.ss_training_finished_at = seconds(input.finishedAt);
  return metadata;
}
