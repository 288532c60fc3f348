import { z } from 'zod';
import { UpscaleError } from './errors.js';

/** One schema for every caller's tiling options (the worker passes the request's values through). */
export const upscaleOptionsSchema = z
  .object({
    /** Tile side in input pixels; a model with a fixed input size uses that size instead. */
    tileSize: z.number().int().min(8).max(4096).default(256),
    /** Pixels adjacent tiles share. Results equal the untiled run where the model's receptive radius ≤ floor(overlap / 4). */
    overlap: z.number().int().min(0).max(1024).default(32),
  })
  .strict()
  .refine((options) => options.overlap * 2 <= options.tileSize, { message: 'overlap must be at most half the tile size', path: ['overlap'] });

export type UpscaleTiling = z.output<typeof upscaleOptionsSchema>;
export type UpscaleTilingInput = z.input<typeof upscaleOptionsSchema>;

export function parseUpscaleTiling(input: unknown): UpscaleTiling {
  const parsed = upscaleOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UpscaleError('upscale_option_invalid', `${issue.path.join('.') || 'options'}: ${issue.message}`);
  }
  return parsed.data;
}
