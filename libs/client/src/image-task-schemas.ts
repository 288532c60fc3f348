import { z } from 'zod';
import type { faceRestoreRequestSchema, preprocessRequestSchema, segmentRequestSchema, upscaleRequestSchema } from '@atelier/contracts';

/** POST /v1/preprocess body as a client writes it (defaults filled in by the server). */
export type PreprocessRequestInput = z.input<typeof preprocessRequestSchema>;
/** POST /v1/upscales body. */
export type UpscaleRequestInput = z.input<typeof upscaleRequestSchema>;
/** POST /v1/face-restorations body. */
export type FaceRestorationRequestInput = z.input<typeof faceRestoreRequestSchema>;
/** POST /v1/segmentations body. */
export type SegmentationRequestInput = z.input<typeof segmentRequestSchema>;

export const IMAGE_TASK_TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled']);

/** GET /v1/tasks/{id}: what a client needs to follow a task and fetch its outputs; the rest is kept (loose). */
export const imageTaskViewSchema = z.looseObject({
  id: z.string(),
  object: z.literal('image_task'),
  kind: z.string(),
  status: z.string(),
  progress: z.object({ step: z.number().int(), total: z.number().int() }),
  outputs: z.array(z.looseObject({ index: z.number().int(), kind: z.string(), url: z.string(), width: z.number().int(), height: z.number().int(), content_type: z.string() })),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type ImageTaskView = z.infer<typeof imageTaskViewSchema>;
