import { z } from 'zod';
import { generationStatusSchema } from './generation-schemas.js';

/** POST /v1/batches and GET /v1/batches/{id}: counters per state and a page of generation ids, in request order. */
export const batchPageSchema = z.object({
  id: z.string(),
  object: z.literal('batch'),
  status: z.enum(['running', 'completed']),
  total: z.number().int(),
  counts: z.record(generationStatusSchema, z.number().int()),
  created_at: z.string(),
  completed_at: z.string().nullable(),
  generations: z.object({
    // `unknown` when a record expired before its batch did.
    data: z.array(z.object({ id: z.string(), status: z.union([generationStatusSchema, z.literal('unknown')]) })),
    offset: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
  }),
});
export type BatchPage = z.infer<typeof batchPageSchema>;
