import { z } from 'zod';
import { OUTPUT_FORMATS } from './generation-request.js';
import { imageReferenceSchema } from './image-reference.js';
import type { GenerationStatus } from './generation-status.js';
import { IMAGE_TASK_KINDS, ImageTaskKind } from './image-task-kinds.js';
import { resolvedFaceRestoreSchema, resolvedSegmentSchema, resolvedUpscaleSchema } from './image-task-postprocess.js';
import { webhookTargetSchema } from './webhook-events.js';

/** ONNX preprocessor model names: a folder name under MODELS_DIR/preprocessors (or a registry name). */
const preprocessorModelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-" (at most 100)');

/** The preprocessors a client may ask for alone (`none` would only resize: nothing to compute). */
export const TASK_PREPROCESSORS = ['canny', 'depth', 'softedge', 'scribble', 'openpose'] as const;
export type TaskPreprocessor = (typeof TASK_PREPROCESSORS)[number];

/** Preprocessors that run an ONNX model (canny is our own code and needs none). */
export const MODEL_BACKED_PREPROCESSORS: ReadonlySet<TaskPreprocessor> = new Set(['depth', 'softedge', 'scribble', 'openpose']);

const side = z.number().int().min(64).max(8192);
/** The detector's working size: bounded well below an output side, it sets the detector's memory. */
const workingSide = z.number().int().min(64).max(2048);

/** Options of POST /v1/preprocess, in controlnet_aux's vocabulary. */
export const preprocessTaskOptionsSchema = z
  .object({
    low_threshold: z.number().min(0).max(2040).default(100).describe('canny: lower hysteresis threshold (L1 Sobel magnitude)'),
    high_threshold: z.number().min(0).max(2040).default(200).describe('canny: upper hysteresis threshold'),
    detect_resolution: workingSide.default(512).describe('short side the detector works at'),
    image_resolution: workingSide.optional().describe("controlnet_aux's image_resolution (default: the output's short side)"),
    width: side.optional().describe('output width (default: the source image width)'),
    height: side.optional().describe('output height (default: the source image height)'),
    safe: z.boolean().default(false).describe('softedge/scribble: controlnet_aux safe quantisation'),
    include_face: z.boolean().default(false).describe('openpose: also draw the 68 face landmarks'),
    include_hands: z.literal(false).default(false).describe('openpose: hand keypoints are not drawn yet (only false is accepted)'),
  })
  .strict()
  .refine((options) => options.low_threshold <= options.high_threshold, { message: 'must not exceed high_threshold', path: ['low_threshold'] })
  .refine((options) => (options.width === undefined) === (options.height === undefined), { message: 'give width and height together', path: ['width'] });
export type PreprocessTaskOptions = z.output<typeof preprocessTaskOptionsSchema>;

/** POST /v1/preprocess: run one ControlNet preprocessor on an image and keep the control map. */
export const preprocessRequestSchema = z
  .object({
    image: imageReferenceSchema.describe('source image: http(s) URL, data: URL or base64 (same rules and limits as init_image)'),
    preprocessor: z.enum(TASK_PREPROCESSORS),
    options: preprocessTaskOptionsSchema.default({ low_threshold: 100, high_threshold: 200, detect_resolution: 512, safe: false, include_face: false, include_hands: false }),
    model: preprocessorModelName.optional().describe('preprocessor ONNX model (depth, softedge, scribble, openpose); default: one the workers have for that preprocessor'),
    output_format: z.enum(OUTPUT_FORMATS).default('png'),
    webhook: webhookTargetSchema.optional(),
  })
  .strict();
export type PreprocessRequest = z.infer<typeof preprocessRequestSchema>;

/** A preprocess task as the worker runs it: every default fixed, the model chosen (null for canny). */
export const resolvedPreprocessSchema = z.object({
  v: z.literal(1),
  kind: z.literal(ImageTaskKind.Preprocess),
  image: z.string(),
  preprocessor: z.enum(TASK_PREPROCESSORS),
  options: preprocessTaskOptionsSchema,
  model: preprocessorModelName.nullable(),
  output_format: z.enum(OUTPUT_FORMATS),
  webhook: webhookTargetSchema.optional(),
});
export type ResolvedPreprocess = z.infer<typeof resolvedPreprocessSchema>;

/** Every kind's resolved, versioned form (one member per ImageTaskKind). */
export const resolvedImageTaskSchema = z.discriminatedUnion('kind', [resolvedPreprocessSchema, resolvedUpscaleSchema, resolvedFaceRestoreSchema, resolvedSegmentSchema]);
export type ResolvedImageTask = z.infer<typeof resolvedImageTaskSchema>;

/** Payload of JobName.RunImageTask: the record holds the resolved task. */
export const imageTaskJobSchema = z.object({ v: z.literal(1), taskId: z.string().min(1), kind: z.enum(IMAGE_TASK_KINDS as [ImageTaskKind, ...ImageTaskKind[]]), submittedAt: z.string() });
export type ImageTaskJobPayload = z.infer<typeof imageTaskJobSchema>;

/** An image task moves through the generations' states. */
export type ImageTaskStatus = GenerationStatus;

export interface ImageTaskOutput {
  readonly index: number;
  /** What the output is: `control` (a preprocessor's map), `image` (an upscale's or face restoration's result), `mask` (a segmentation's). */
  readonly kind: string;
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly content_type: string;
}

export interface ImageTaskRecord {
  readonly id: string;
  readonly tenant: string;
  readonly kind: ImageTaskKind;
  readonly status: ImageTaskStatus;
  readonly request: ResolvedImageTask;
  readonly queue: string;
  readonly progress: { readonly step: number; readonly total: number };
  readonly outputs: readonly ImageTaskOutput[];
  readonly metadata?: Record<string, unknown>;
  readonly error?: { readonly code: string; readonly message: string };
  readonly timings?: { readonly queue_wait_ms: number; readonly run_ms: number; readonly upload_ms: number; readonly total_ms: number };
  readonly attempts: number;
  readonly worker_id?: string;
  readonly cancel_requested: boolean;
  readonly created_at: string;
  readonly started_at?: string;
  readonly finished_at?: string;
}

/** Ids name their kind's family: `tsk_…` for every image task. */
export const IMAGE_TASK_ID_PATTERN = /^tsk_[0-9a-f]{32}$/;
