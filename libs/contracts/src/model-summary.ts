import { z } from 'zod';

/** A pipeline model as workers announce it and `GET /v1/models` lists it. */
export const modelSummarySchema = z.object({
  id: z.string(),
  family: z.string(),
  prediction_type: z.string(),
  default_width: z.number().int(),
  default_height: z.number().int(),
  default_scheduler: z.string(),
  size_multiple: z.number().int(),
  refiner: z.string().nullable(),
  inpainting: z.boolean(),
  /** It has a residual-accepting UNet (`controlnet/` or `cnet/`): ControlNets can steer it. Absent from older workers' announcements. */
  controlnet: z.boolean().default(false),
  /** Width of the text features its UNet attends to (768 SD 1.x, 1024 SD 2.x, 2048 SDXL); null when unknown. */
  cross_attention_dim: z.number().int().positive().nullable().default(null),
  description: z.string(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;
