import { z } from 'zod';
import { GenerationStatus, generationParametersSchema, type GenerationView } from '@atelier/contracts';

export const generationStatusSchema = z.enum(Object.values(GenerationStatus) as [GenerationStatus, ...GenerationStatus[]]);

const outputSchema = z.object({
  /** Servers before control outputs sent no kind: every output was an image. */
  kind: z.enum(['image', 'control', 'restored', 'upscaled', 'mask']).default('image'),
  controlnet: z.object({ index: z.number().int(), model: z.string(), preprocessor: z.string() }).optional(),
  source_index: z.number().int().optional(),
  url: z.string().optional(),
  base64: z.string().optional(),
  seed: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  content_type: z.string(),
});

/**
 * GET /v1/generations/{id}. Typed against the contracts' GenerationView, so a change on the
 * server side that this schema does not follow fails the build, and one on the wire fails loudly.
 */
export const generationViewSchema: z.ZodType<GenerationView> = z.object({
  id: z.string(),
  object: z.literal('generation'),
  status: generationStatusSchema,
  model: z.string(),
  batch_id: z.string().optional(),
  progress: z.object({ step: z.number().int(), total: z.number().int() }),
  outputs: z.array(outputSchema),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  timings: z.object({
    queue_wait_ms: z.number().optional(),
    inference_ms: z.number().optional(),
    upload_ms: z.number().optional(),
    total_ms: z.number().optional(),
    batch_size: z.number().int().optional(),
  }),
  warnings: z.array(z.string()),
  attempts: z.number().int(),
  parameters: generationParametersSchema,
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
