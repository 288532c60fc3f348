import { z } from 'zod';
import { OUTPUT_FORMATS, outpaintSchema } from './generation-request.js';
import { webhookTargetSchema } from './webhook-events.js';

/** A request after the API applied defaults, the style and the seed: what a worker runs. */
export const resolvedGenerationSchema = z.object({
  model: z.string().min(1),
  prompt: z.string(),
  negative_prompt: z.string(),
  style: z.string(),
  samples: z.number().int().positive(),
  scheduler: z.string().optional(),
  num_inference_steps: z.number().int().positive(),
  guidance_scale: z.number().min(0),
  strength: z.number().min(0).max(1),
  high_noise_fraction: z.number().gt(0).lt(1),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  refiner: z.boolean(),
  loras: z.array(z.object({ name: z.string(), weight: z.number() })).default([]),
  base64: z.boolean(),
  init_image: z.string().optional(),
  mask_image: z.string().optional(),
  mask_blur: z.number().int().min(0).default(0),
  outpaint: outpaintSchema.optional(),
  output_format: z.enum(OUTPUT_FORMATS).default('png'),
  output_quality: z.number().int().min(1).max(100).default(90),
  webhook: webhookTargetSchema.optional(),
});
export type ResolvedGeneration = z.infer<typeof resolvedGenerationSchema>;

/** Payload of JobName.GenerateImage. Versioned: a worker refuses versions it does not know. */
export const generationJobSchema = z.object({
  v: z.literal(1),
  generationId: z.string().min(1),
  batchId: z.string().optional(),
  submittedAt: z.string(),
});
export type GenerationJob = z.infer<typeof generationJobSchema>;
