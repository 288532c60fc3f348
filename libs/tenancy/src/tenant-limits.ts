import { z } from 'zod';

/** Per-tenant limits; unset fields fall back to the farm-wide defaults from the environment. */
export const tenantLimitsSchema = z
  .object({
    requests_per_minute: z.number().int().positive(),
    max_running_jobs: z.number().int().positive(),
    max_queued_jobs: z.number().int().positive(),
    max_batch_size: z.number().int().positive(),
  })
  .strict();
export type TenantLimits = z.infer<typeof tenantLimitsSchema>;
export const tenantLimitsPatchSchema = tenantLimitsSchema.partial();
export type TenantLimitsPatch = z.infer<typeof tenantLimitsPatchSchema>;
