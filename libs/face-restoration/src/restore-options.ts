import { z } from 'zod';
import { FaceRestoreError } from './errors.js';

/** One schema for every caller's face-restoration options. */
export const restoreFacesOptionsSchema = z
  .object({
    /** CodeFormer's `weight`: 0 favours quality, 1 fidelity to the input (CodeFormer's default 0.5). */
    fidelity: z.number().min(0).max(1).default(0.5),
    /** How much of the restored face shows (A1111's codeformer/gfpgan visibility). */
    visibility: z.number().min(0).max(1).default(1),
    /** insightface's defaults: score ≥ 0.5, NMS IoU 0.4. */
    scoreThreshold: z.number().min(0).max(1).default(0.5),
    nmsThreshold: z.number().min(0).max(1).default(0.4),
    /** The highest-scoring faces restored, at most. */
    maxFaces: z.number().int().min(1).max(100).default(20),
  })
  .strict();

export type RestoreFacesSettings = z.output<typeof restoreFacesOptionsSchema>;
export type RestoreFacesSettingsInput = z.input<typeof restoreFacesOptionsSchema>;

export function parseRestoreFacesOptions(input: unknown): RestoreFacesSettings {
  const parsed = restoreFacesOptionsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FaceRestoreError('face_option_invalid', `${issue.path.join('.') || 'options'}: ${issue.message}`);
  }
  return parsed.data;
}
