import { z } from 'zod';
import { OUTPUT_FORMATS } from './generation-request.js';
import { ImageTaskKind } from './image-task-kinds.js';
import { checkImageTaskSource, imageTaskSourceFields, onnxModelNameSchema, resolvedImageSourceSchema } from './image-task-source.js';
import { webhookTargetSchema } from './webhook-events.js';

const unit = z.number().min(0).max(1);

/** A face restoration step: alone (POST /v1/face-restorations) or chained after an upscale. */
export const faceRestoreStepSchema = z
  .object({
    model: onnxModelNameSchema.optional().describe('face_restorer model (CodeFormer or GFPGAN); default: the only one, else the first by name'),
    detector: onnxModelNameSchema.optional().describe('face_detector model (SCRFD); default: the only one, else the first by name'),
    fidelity: unit.default(0.5).describe("CodeFormer's weight: 0 favours quality, 1 fidelity to the input"),
    visibility: unit.default(1).describe('how much of the restored face shows (A1111 gfpgan/codeformer_visibility)'),
  })
  .strict();
export type FaceRestoreStep = z.output<typeof faceRestoreStepSchema>;

/** POST /v1/upscales: an ESRGAN-family upscaler, tiled, optionally followed by face restoration. */
export const upscaleRequestSchema = z
  .object({
    ...imageTaskSourceFields,
    model: onnxModelNameSchema.optional().describe('upscaler model; default: the only one, else the first by name'),
    scale: z.number().min(1).max(16).optional().describe("output/input size ratio, at most the model's scale (default: the model's); a smaller one resizes the model's result"),
    tile_size: z.number().int().min(32).max(2048).default(256).describe('tile side in input pixels (a model with a fixed input size uses its own)'),
    tile_overlap: z.number().int().min(0).max(512).default(32).describe('pixels neighbouring tiles share (at most half the tile)'),
    output_format: z.enum(OUTPUT_FORMATS).default('png'),
    face_restore: faceRestoreStepSchema.optional().describe('restore faces on the upscaled image'),
    webhook: webhookTargetSchema.optional(),
  })
  .strict()
  .superRefine(checkImageTaskSource)
  .refine((body) => body.tile_overlap * 2 <= body.tile_size, { message: 'must be at most half of tile_size', path: ['tile_overlap'] });
export type UpscaleRequest = z.output<typeof upscaleRequestSchema>;

const resolvedFaceStepSchema = z.object({ model: z.string(), detector: z.string(), fidelity: unit, visibility: unit });
export type ResolvedFaceRestoreStep = z.infer<typeof resolvedFaceStepSchema>;

export const resolvedUpscaleSchema = z.object({
  v: z.literal(1),
  kind: z.literal(ImageTaskKind.Upscale),
  source: resolvedImageSourceSchema,
  model: z.string(),
  /** The model's own factor as its workers announced it; `scale` ≤ this. */
  model_scale: z.number().int().min(1),
  scale: z.number().min(1),
  tile_size: z.number().int(),
  tile_overlap: z.number().int(),
  /** MAX_UPSCALE_PIXELS when it was submitted: the worker checks the output size against it. */
  max_output_pixels: z.number().int(),
  output_format: z.enum(OUTPUT_FORMATS),
  face_restore: resolvedFaceStepSchema.nullable(),
  webhook: webhookTargetSchema.optional(),
});
export type ResolvedUpscale = z.infer<typeof resolvedUpscaleSchema>;

/** POST /v1/face-restorations: detect faces, align, restore, paste back. */
export const faceRestoreRequestSchema = z
  .object({
    ...imageTaskSourceFields,
    ...faceRestoreStepSchema.shape,
    output_format: z.enum(OUTPUT_FORMATS).default('png'),
    webhook: webhookTargetSchema.optional(),
  })
  .strict()
  .superRefine(checkImageTaskSource);
export type FaceRestoreRequest = z.output<typeof faceRestoreRequestSchema>;

export const resolvedFaceRestoreSchema = z.object({
  v: z.literal(1),
  kind: z.literal(ImageTaskKind.FaceRestore),
  source: resolvedImageSourceSchema,
  ...resolvedFaceStepSchema.shape,
  output_format: z.enum(OUTPUT_FORMATS),
  webhook: webhookTargetSchema.optional(),
});
export type ResolvedFaceRestore = z.infer<typeof resolvedFaceRestoreSchema>;

const coordinate = z.number().finite().min(0).max(65_536);
const pointSchema = z
  .object({ x: coordinate, y: coordinate, label: z.enum(['positive', 'negative']).default('positive').describe('positive: part of the object; negative: not') })
  .strict();
const boxSchema = z
  .object({ x0: coordinate, y0: coordinate, x1: coordinate, y1: coordinate })
  .strict()
  .refine((box) => box.x1 > box.x0 && box.y1 > box.y0, { message: 'x1 and y1 must be greater than x0 and y0' });

/** POST /v1/segmentations: Segment Anything masks from clicks and a box, in source image pixels. */
export const segmentRequestSchema = z
  .object({
    ...imageTaskSourceFields,
    model: onnxModelNameSchema.optional().describe('segmenter model (SAM encoder + decoder); default: the only one, else the first by name'),
    points: z.array(pointSchema).max(64).default([]).describe('clicks in image pixels (x right, y down)'),
    boxes: z.array(boxSchema).max(1).default([]).describe('at most one box (official SAM decoder exports only)'),
    output: z.enum(['best', 'all']).default('best').describe("best: SAM's choice; all: the three candidate masks"),
    webhook: webhookTargetSchema.optional(),
  })
  .strict()
  .superRefine(checkImageTaskSource)
  .refine((body) => body.points.length + body.boxes.length > 0, { message: 'give at least one point or one box', path: ['points'] });
export type SegmentRequest = z.output<typeof segmentRequestSchema>;

export const resolvedSegmentSchema = z.object({
  v: z.literal(1),
  kind: z.literal(ImageTaskKind.Segment),
  source: resolvedImageSourceSchema,
  model: z.string(),
  points: z.array(z.object({ x: z.number(), y: z.number(), label: z.enum(['positive', 'negative']) })),
  boxes: z.array(z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() })),
  output: z.enum(['best', 'all']),
  webhook: webhookTargetSchema.optional(),
});
export type ResolvedSegment = z.infer<typeof resolvedSegmentSchema>;

/** An upscale's result size: each side times the scale, rounded (API and worker agree on it). */
export function upscaledSize(size: { readonly width: number; readonly height: number }, scale: number): { width: number; height: number } {
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}
