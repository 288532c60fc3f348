import { z } from 'zod';
import type { TrainingExample } from '../dataset/training-example.js';

const integer = (min: number, max: number) => z.number().int().min(min).max(max);

/** What a training job asks for (a LoRA or an embedding), in kohya's vocabulary (the KohyaEngine passes it on as is). */
export const trainingParamsSchema = z
  .object({
    /** File stem of the result (`<outputName>.safetensors`, ss_output_name). */
    outputName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" and "-" only, at most 100'),
    /** The word captions use for the concept ("zxq"); substituted for {trigger} in caption templates. */
    triggerWord: z.string().trim().min(1).max(64),
    baseModel: z.object({ id: z.string().min(1), dir: z.string().min(1) }).strict(),
    network: z
      .object({
        rank: integer(1, 256).default(4),
        /** Scale alpha / rank; kohya's default alpha is 1. */
        alpha: z.number().positive().max(1024).default(1),
      })
      .strict()
      .default({ rank: 4, alpha: 1 }),
    maxTrainSteps: integer(1, 1_000_000),
    learningRate: z.number().positive().max(1).default(1e-4),
    /** kohya's --lr_scheduler: constant (its default), linear or cosine decay to 0 over the run. */
    lrScheduler: z.enum(['constant', 'linear', 'cosine']).default('constant'),
    /** Steps of linear warm-up from 0 (kohya's --lr_warmup_steps). */
    lrWarmupSteps: integer(0, 1_000_000).default(0),
    batchSize: integer(1, 256).default(1),
    resolution: z
      .object({ width: integer(8, 4096).multipleOf(8), height: integer(8, 4096).multipleOf(8) })
      .strict(),
    seed: integer(0, 0xffffffff),
    /** Checkpoint every N steps (0: only the final file). */
    saveEvery: integer(0, 1_000_000).default(0),
    /** Preview pictures every N steps for each sample prompt (0: none). */
    sampleEvery: integer(0, 1_000_000).default(0),
    samplePrompts: z.array(z.string().max(1000)).max(16).default([]),
    /**
     * DreamBooth-style prior preservation: the class prompt's pictures (drawn by the base model)
     * are trained on too, with this loss weight, so the concept stays behind its trigger word.
     */
    priorPreservation: z.object({ classPrompt: z.string().max(1000), weight: z.number().positive().max(100).default(1) }).strict().optional(),
    /** Min-SNR-γ loss weighting (Hang et al. 2023), kohya's --min_snr_gamma. */
    minSnrGamma: z.number().positive().max(100).optional(),
    captionExtension: z.string().regex(/^\.[A-Za-z0-9]{1,16}$/).default('.txt'),
    comment: z.string().max(2000).optional(),
    /**
     * What is trained: a LoRA on the UNet, the embedding rows of a new token (textual inversion),
     * or the UNet's own weights (DreamBooth, and finetune on a captioned dataset without class
     * pictures: a fine-tuned checkpoint, served as a new pipeline).
     */
    method: z.enum(['lora', 'textual_inversion', 'dreambooth', 'finetune']).default('lora'),
    /**
     * Textual inversion (kohya's --token_string, --init_word, --num_vectors_per_token): the new
     * token captions and prompts use (it is `triggerWord` too), the word its vectors start from.
     */
    textualInversion: z
      .object({
        placeholderToken: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
        initializerToken: z.string().regex(/^[a-z]{1,32}$/),
        numVectors: integer(1, 16).default(1),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((params, context) => {
    if (params.method === 'textual_inversion') {
      if (params.textualInversion === undefined) context.addIssue({ code: 'custom', path: ['textualInversion'], message: 'required for textual inversion' });
      else if (params.textualInversion.placeholderToken !== params.triggerWord) context.addIssue({ code: 'custom', path: ['triggerWord'], message: 'must be the placeholder token' });
      if (params.priorPreservation) context.addIssue({ code: 'custom', path: ['priorPreservation'], message: 'textual inversion leaves the model unchanged: nothing to preserve' });
    } else if (params.method === 'finetune' && params.priorPreservation) {
      context.addIssue({ code: 'custom', path: ['priorPreservation'], message: 'finetune trains on the captioned dataset alone (DreamBooth has class pictures)' });
    } else if (params.textualInversion !== undefined) {
      context.addIssue({ code: 'custom', path: ['textualInversion'], message: 'applies only to method textual_inversion' });
    }
  });

export type TrainingParams = z.output<typeof trainingParamsSchema>;
export type TrainingParamsInput = z.input<typeof trainingParamsSchema>;

export interface TrainingJob {
  readonly id: string;
  readonly params: TrainingParams;
  /** Validated, already resized to params.resolution (see loadDataset). */
  readonly dataset: readonly TrainingExample[];
  /**
   * DreamBooth's class pictures (kohya's reg_data_dir), captioned with the class prompt: what the
   * base model drew for it, trained on with the prior-preservation weight (DreamBooth, and a LoRA
   * trained DreamBooth-style; without them the built-in LoRA engine uses the class prompt's exact
   * base picture).
   */
  readonly priorImages?: readonly TrainingExample[];
}

export class InvalidTrainingJobError extends Error {
  constructor(readonly issues: readonly { readonly field: string; readonly message: string }[]) {
    super(`invalid training job: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`);
    this.name = 'InvalidTrainingJobError';
  }
}

export function parseTrainingParams(input: unknown): TrainingParams {
  const parsed = trainingParamsSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidTrainingJobError(parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(job)', message: issue.message })));
  }
  return parsed.data;
}

/** A job whose dataset matches its resolution and holds at least one example. */
export function createTrainingJob(id: string, params: TrainingParamsInput, dataset: readonly TrainingExample[], priorImages?: readonly TrainingExample[]): TrainingJob {
  const parsed = parseTrainingParams(params);
  if (dataset.length === 0) throw new InvalidTrainingJobError([{ field: 'dataset', message: 'no training images' }]);
  if (parsed.method === 'dreambooth' && parsed.priorPreservation !== undefined && (priorImages ?? []).length === 0) {
    throw new InvalidTrainingJobError([{ field: 'priorImages', message: 'prior preservation needs class pictures' }]);
  }
  if (parsed.method === 'textual_inversion' && priorImages !== undefined) throw new InvalidTrainingJobError([{ field: 'priorImages', message: 'textual inversion leaves the model unchanged: no class pictures' }]);
  if (priorImages !== undefined && priorImages.length > 0 && parsed.priorPreservation === undefined) throw new InvalidTrainingJobError([{ field: 'priorImages', message: 'class pictures need priorPreservation (the class prompt and weight)' }]);
  for (const example of [...dataset, ...(priorImages ?? [])]) {
    const { width, height } = example.image;
    if (width !== parsed.resolution.width || height !== parsed.resolution.height) {
      throw new InvalidTrainingJobError([
        { field: 'dataset', message: `${example.name} is ${width}×${height}, the job trains at ${parsed.resolution.width}×${parsed.resolution.height}` },
      ]);
    }
  }
  return priorImages === undefined ? { id, params: parsed, dataset } : { id, params: parsed, dataset, priorImages };
}
