import { z } from 'zod';

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ object: z.literal('list'), data: z.array(item) });
}
export interface ListResponse<T> {
  readonly object: 'list';
  readonly data: T[];
}

/** GET /v1/models: what live workers serve. */
export const modelInfoSchema = z.object({
  id: z.string(),
  family: z.string(),
  prediction_type: z.string(),
  default_width: z.number().int(),
  default_height: z.number().int(),
  default_scheduler: z.string(),
  size_multiple: z.number().int(),
  refiner: z.string().nullable(),
  inpainting: z.boolean(),
  description: z.string(),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** GET /v1/schedulers: a sampler and every name it answers to. */
export const schedulerInfoSchema = z.object({
  id: z.string(),
  label: z.string(),
  aliases: z.array(z.string()),
  deterministic: z.boolean(),
  karras: z.boolean(),
});
export type SchedulerInfo = z.infer<typeof schedulerInfoSchema>;

/** GET /v1/styles: a prompt template ("{prompt}" is replaced) and the negatives it adds. */
export const styleInfoSchema = z.object({
  id: z.string(),
  label: z.string(),
  prompt: z.string(),
  negative_prompt: z.string(),
});
export type StyleInfo = z.infer<typeof styleInfoSchema>;
