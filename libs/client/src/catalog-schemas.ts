import { z } from 'zod';
import { modelSummarySchema } from '@atelier/contracts';

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ object: z.literal('list'), data: z.array(item) });
}
export interface ListResponse<T> {
  readonly object: 'list';
  readonly data: T[];
}

/**
 * GET /v1/models: pipelines live workers serve (the contract's summary) and registered or
 * worker-local adapters and ONNX models (ControlNets, IP-Adapters, preprocessors, upscalers, face and SAM
 * models), told apart by `kind`.
 */
export const modelInfoSchema = z.union([
  modelSummarySchema.extend({ kind: z.literal('pipeline') }),
  z.looseObject({ kind: z.enum(['lora', 'embedding', 'refiner', 'vae', 'controlnet', 'preprocessor', 'upscaler', 'face_detector', 'face_restorer', 'segmenter', 'ip_adapter']), id: z.string(), name: z.string() }),
]);
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
