import { z } from 'zod';
import { webhookTargetSchema } from './webhook-events.js';

/**
 * What a training produces: a LoRA (default), a textual-inversion embedding, (DreamBooth) a new
 * pipeline, (DreamBooth LoRA) a LoRA trained on DreamBooth's instance and class pictures, or
 * (finetune) a new pipeline fine-tuned on a captioned dataset.
 */
export const TRAINING_METHODS = ['lora', 'textual_inversion', 'dreambooth', 'dreambooth_lora', 'finetune'] as const;
export type TrainingMethod = (typeof TRAINING_METHODS)[number];

const datasetReference = z
  .string()
  .min(1)
  .refine((value) => /^upl_[0-9a-f]{32}$/.test(value) || /^(https|s3):\/\//.test(value), 'an upload id (POST /v1/uploads), an https:// URL or an s3:// URI');

/** Fields every method takes. */
const commonTrainingFields = {
  base_model: z.string().min(1).max(200),
  dataset: datasetReference,
  caption_template: z.string().max(500).optional().describe('used for images without a .txt caption; {trigger} is replaced by the trigger word or placeholder token'),
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
  webhook: webhookTargetSchema.optional(),
};

const loraFields = {
  trigger_word: z.string().trim().min(1).max(64).regex(/^[^\s<>:]+$/, 'one word without spaces, < > or :'),
  output_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).optional().describe('registered LoRA name; default: the trigger word + training id'),
  rank: z.number().int().min(1).max(256).default(4),
  alpha: z.number().positive().max(1024).default(4),
  class_prompt: z.string().max(1000).optional().describe('prior preservation: the base model keeps drawing this prompt as before, so the concept binds to the trigger word'),
  prior_loss_weight: z.number().positive().max(100).default(1),
};

const textualInversionFields = {
  placeholder_token: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "." and "-" only, at most 64: the word prompts use and the embedding\'s registered name'),
  initializer_token: z.string().regex(/^[a-z]{1,32}$/, 'one lower-case word (a single CLIP token) whose embedding the new vectors start from'),
  num_vectors: z.number().int().min(1).max(16).default(1).describe('vectors per token (kohya --num_vectors_per_token)'),
};

const dreamboothFields = {
  identifier: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'one rare word of letters, digits, "_", "." and "-", at most 64 (the unique identifier, e.g. "sks")'),
  instance_prompt: z.string().min(1).max(500).describe('caption of the instance images without a .txt caption, e.g. "a photo of sks dog"; must contain the identifier'),
  class_prompt: z.string().min(1).max(1000).optional().describe('prior preservation: pictures of the class drawn by the base model keep their look, e.g. "a photo of dog"'),
  num_class_images: z.number().int().min(1).max(200).default(4).describe('class pictures the farm draws with the base model (seeds seed … seed + n − 1) for prior preservation'),
  prior_loss_weight: z.number().positive().max(100).default(1),
  output_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).optional().describe('registered pipeline name; default: dreambooth-<identifier>-<training id>'),
};

const dreamboothLoraFields = {
  ...dreamboothFields,
  output_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).optional().describe('registered LoRA name; default: the identifier + training id'),
  rank: loraFields.rank,
  alpha: loraFields.alpha,
};

const finetuneFields = {
  output_name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).optional().describe('registered pipeline name; default: finetune-<training id>'),
};

const FIELDS_OF: Record<TrainingMethod, Record<string, z.ZodTypeAny>> = {
  finetune: finetuneFields,
  lora: loraFields,
  textual_inversion: textualInversionFields,
  dreambooth: dreamboothFields,
  dreambooth_lora: dreamboothLoraFields,
};

/** Fields only other methods take: present at all is a 400 naming the method they belong to. */
function foreignFields(method: TrainingMethod): Record<string, z.ZodTypeAny> {
  const own = FIELDS_OF[method];
  const foreign: Record<string, z.ZodTypeAny> = {};
  for (const other of TRAINING_METHODS) {
    if (other === method) continue;
    for (const key of Object.keys(FIELDS_OF[other])) {
      if (!(key in own) && !(key in foreign)) foreign[key] = z.never({ message: `applies only to method "${other}"` }).optional();
    }
  }
  return foreign;
}

const loraTrainingSchema = z.object({ ...foreignFields('lora'), method: z.literal('lora'), ...commonTrainingFields, ...loraFields }).strict();
const textualInversionTrainingSchema = z
  .object({ ...foreignFields('textual_inversion'), method: z.literal('textual_inversion'), ...commonTrainingFields, ...textualInversionFields })
  .strict();
const dreamboothTrainingSchema = z.object({ ...foreignFields('dreambooth'), method: z.literal('dreambooth'), ...commonTrainingFields, ...dreamboothFields }).strict();
const finetuneTrainingSchema = z.object({ ...foreignFields('finetune'), method: z.literal('finetune'), ...commonTrainingFields, ...finetuneFields }).strict();
const dreamboothLoraTrainingSchema = z
  .object({ ...foreignFields('dreambooth_lora'), method: z.literal('dreambooth_lora'), ...commonTrainingFields, ...dreamboothLoraFields })
  .strict();

/** What one field cannot say about a DreamBooth (or DreamBooth LoRA) request. */
function checkDreamBooth(request: Pick<z.infer<typeof dreamboothTrainingSchema>, 'identifier' | 'instance_prompt' | 'class_prompt'>, context: z.RefinementCtx): void {
  const words = (text: string) => text.split(/\s+/);
  if (!words(request.instance_prompt).includes(request.identifier)) context.addIssue({ code: 'custom', path: ['instance_prompt'], message: 'must contain the identifier as a word' });
  if (request.class_prompt !== undefined && words(request.class_prompt).includes(request.identifier)) {
    context.addIssue({ code: 'custom', path: ['class_prompt'], message: 'must not contain the identifier: the class prompt is what the base model keeps drawing' });
  }
}

/**
 * POST /v1/trainings, in kohya's vocabulary: `method` (default "lora") picks the fields that
 * apply; one of another method is refused naming it. Requests stored before `method` existed
 * read as LoRA trainings.
 */
export const trainingRequestSchema = z.preprocess(
  (raw) => (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as { method?: unknown }).method === undefined ? { ...raw, method: 'lora' } : raw),
  z
    .discriminatedUnion('method', [loraTrainingSchema, textualInversionTrainingSchema, dreamboothTrainingSchema, dreamboothLoraTrainingSchema, finetuneTrainingSchema], { message: `one of ${TRAINING_METHODS.join(', ')}` })
    .superRefine((request, context) => {
      if (request.method === 'dreambooth' || request.method === 'dreambooth_lora') checkDreamBooth(request, context);
    }),
);
export type TrainingRequest = z.infer<typeof trainingRequestSchema>;
export type LoraTrainingRequest = Extract<TrainingRequest, { method: 'lora' }>;
export type TextualInversionTrainingRequest = Extract<TrainingRequest, { method: 'textual_inversion' }>;
export type DreamBoothTrainingRequest = Extract<TrainingRequest, { method: 'dreambooth' }>;
export type DreamBoothLoraTrainingRequest = Extract<TrainingRequest, { method: 'dreambooth_lora' }>;
export type FinetuneTrainingRequest = Extract<TrainingRequest, { method: 'finetune' }>;

/** Methods whose result is a new servable pipeline (admin scope, MODELS_STORAGE_PREFIX). */
export function trainsPipeline(request: TrainingRequest): request is DreamBoothTrainingRequest | FinetuneTrainingRequest {
  return request.method === 'dreambooth' || request.method === 'finetune';
}

/** The word captions' {trigger} stands for: the LoRA's trigger word, the new token or the identifier (none for finetune: captions are given). */
export function trainingTriggerWord(request: TrainingRequest): string | undefined {
  if (request.method === 'finetune') return undefined;
  if (request.method === 'textual_inversion') return request.placeholder_token;
  return request.method === 'dreambooth' || request.method === 'dreambooth_lora' ? request.identifier : request.trigger_word;
}

export const TrainingStatus = Object.freeze({
  Queued: 'queued',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Canceled: 'canceled',
} as const);
export type TrainingStatus = (typeof TrainingStatus)[keyof typeof TrainingStatus];

export const TRAINING_JOB_VERSION = 2;

/** Payload of JobName.TrainLora (every method; the name is frozen): v2 carries the method. */
const trainingJobV2Schema = z.object({ v: z.literal(TRAINING_JOB_VERSION), trainingId: z.string().min(1), method: z.enum(TRAINING_METHODS), submittedAt: z.string() });
/** v1, queued before methods existed: always a LoRA. */
const trainingJobV1Schema = z.object({ v: z.literal(1), trainingId: z.string().min(1), submittedAt: z.string() });

/** Reads a queued training job of any version as the current one (a v1 job is a LoRA training). */
export const trainingJobSchema = z.union([
  trainingJobV2Schema,
  trainingJobV1Schema.transform((v1) => ({ v: TRAINING_JOB_VERSION, trainingId: v1.trainingId, method: 'lora' as const, submittedAt: v1.submittedAt })),
]);
export type TrainingJobPayload = z.infer<typeof trainingJobV2Schema>;

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
