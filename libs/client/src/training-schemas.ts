import { z } from 'zod';
import type { WebhookTarget } from '@atelier/contracts';

/**
 * POST /v1/trainings (planned; the server side is under way). The fields are the ones agreed
 * for the endpoint; the server's schema will be the validator, as for generations.
 */
export interface TrainingRequestInput {
  readonly base_model?: string;
  /** What POST /v1/uploads answered as `id` for the uploaded dataset archive. */
  readonly dataset: string;
  /** "lora" (default) or "textual_inversion"; the server refuses fields of another method by name. */
  readonly method?: 'lora' | 'textual_inversion';
  /** LoRA: the word captions use for the concept. */
  readonly trigger_word?: string;
  /** Textual inversion: the new token (also the embedding's name) and the word its vectors start from. */
  readonly placeholder_token?: string;
  readonly initializer_token?: string;
  readonly num_vectors?: number;
  readonly caption_template?: string;
  readonly rank?: number;
  readonly alpha?: number;
  readonly steps?: number;
  readonly learning_rate?: number;
  readonly batch_size?: number;
  readonly resolution?: number;
  readonly seed?: number;
  readonly save_every?: number;
  readonly sample_prompts?: readonly string[];
  readonly webhook?: WebhookTarget;
}

export const TRAINING_TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled']);

/**
 * GET /v1/trainings/{id}. Only what a client needs to follow a run is required; everything else
 * the server sends is kept (loose) until the contract is frozen.
 */
export const trainingViewSchema = z.looseObject({
  id: z.string(),
  object: z.literal('training').optional(),
  status: z.string(),
  progress: z.object({ step: z.number().int(), total: z.number().int() }).optional(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
});
export type TrainingView = z.infer<typeof trainingViewSchema>;
