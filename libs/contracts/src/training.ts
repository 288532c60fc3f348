import { z } from 'zod';
import { webhookTargetSchema } from './webhook-events.js';

/** POST /v1/trainings: a LoRA from a dataset zip, in kohya's vocabulary. */
export const trainingRequestSchema = z
  .object({
    base_model: z.string().min(1).max(200),
    dataset: z
      .string()
      .min(1)
      .refine((value) => /^upl_[0-9a-f]{32}$/.test(value) || /^(https|s3):\/\//.test(value), 'an upload id (POST /v1/uploads), an https:// URL or an s3:// URI'),
    trigger_word: z.string().trim().min(1).max(64).regex(/^[^\s<>:]+$/, 'one word without spaces, < > or :'),
    caption_template: z.string().max(500).optional().describe('used for images without a .txt caption; {trigger} is replaced'),
    output_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).optional().describe('registered LoRA name; default: the trigger word + training id'),
    rank: z.number().int().min(1).max(256).default(4),
    alpha: z.number().positive().max(1024).default(4),
    steps: z.number().int().min(1).max(100_000).default(200),
    learning_rate: z.number().positive().max(1).default(0.05),
    batch_size: z.number().int().min(1).max(64).default(2),
    resolution: z.number().int().min(64).max(2048).refine((value) => value % 8 === 0, 'must be a multiple of 8').default(64),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    save_every: z.number().int().min(0).max(100_000).default(50),
    sample_prompts: z.array(z.string().max(1000)).max(8).default([]),
    lr_scheduler: z.enum(['constant', 'linear', 'cosine']).default('cosine'),
    lr_warmup_steps: z.number().int().min(0).max(100_000).default(0),
    min_snr_gamma: z.number().positive().max(100).optional(),
    class_prompt: z.string().max(1000).optional().describe('prior preservation: the base model keeps drawing this prompt as before, so the concept binds to the trigger word'),
    prior_loss_weight: z.number().positive().max(100).default(1),
    webhook: webhookTargetSchema.optional(),
  })
  .strict();
export type TrainingRequest = z.infer<typeof trainingRequestSchema>;

export const TrainingStatus = Object.freeze({
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Canceled: 'canceled',
} as const);
export type TrainingStatus = (typeof TrainingStatus)[keyof typeof TrainingStatus];

/** Payload of JobName.TrainLora. */
export const trainingJobSchema = z.object({ v: z.literal(1), trainingId: z.string().min(1), submittedAt: z.string() });
export type TrainingJobPayload = z.infer<typeof trainingJobSchema>;

export interface TrainingCheckpointRef {
  readonly step: number;
  readonly lora_key: string;
  readonly optimizer_key: string;
}

export interface TrainingRecord {
  readonly id: string;
  readonly tenant: string;
  readonly status: TrainingStatus;
  readonly request: TrainingRequest;
  readonly dataset_key: string;
  readonly progress: { readonly step: number; readonly total: number };
  readonly losses: ReadonlyArray<{ readonly step: number; readonly loss: number }>;
  readonly samples: ReadonlyArray<{ readonly step: number; readonly prompt: string; readonly key: string }>;
  readonly checkpoints: readonly TrainingCheckpointRef[];
  readonly artifact?: { readonly key: string; readonly sha256: string; readonly size: number };
  readonly model_id?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly attempts: number;
  /** Step of the checkpoint the latest attempt continued from (0: started fresh). */
  readonly resumed_from_step: number;
  readonly worker_id?: string;
  readonly cancel_requested: boolean;
  readonly created_at: string;
  readonly started_at?: string;
  readonly finished_at?: string;
}
