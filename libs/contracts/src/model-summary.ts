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
  description: z.string(),
});
export type ModelSummary = z.infer<typeof modelSummarySchema>;
