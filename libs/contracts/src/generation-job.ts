import { z } from 'zod';

/** Payload of JobName.GenerateImage. Versioned: a worker refuses versions it does not know. */
export const generationJobSchema = z.object({
  v: z.literal(1),
  generationId: z.string().min(1),
  batchId: z.string().optional(),
  submittedAt: z.string(),
});
export type GenerationJob = z.infer<typeof generationJobSchema>;
