import { z } from 'zod';

/**
 * Steps chained on a generation: work done on the worker around the denoising loop with ONNX
 * models from the registry (upscalers, face models, SAM) — a latent hires fix before decoding
 * ends, face restoration and upscaling of each decoded image, and an inpainting mask made from
 * clicks. Request fields here, their resolved (every default fixed) forms below.
 */
const modelName = z.string().min(1).max(200);
export const MAX_MASK_POINTS = 64;
export const MAX_CHAINED_SCALE = 8;
export const HIRES_LATENT_UPSCALERS = ['latent', 'latent-nearest'] as const;

export const upscaleStepSchema = z
  .object({
    model: modelName.describe('Upscaler (GET /v1/models?kind=upscaler)'),
    scale: z.number().min(1).max(MAX_CHAINED_SCALE).optional().describe("Output size ÷ base size; default the model's own scale (other values resize its output, Lanczos)"),
  })
  .strict()
  .describe('Upscale each image after decoding (after face_restore); the base image is kept');

export const chainedFaceRestoreSchema = z
  .object({
    model: modelName.optional().describe('Face restorer (GET /v1/models?kind=face_restorer); default the first announced'),
    detector: modelName.optional().describe('Face detector (kind face_detector); default the first announced'),
    fidelity: z.number().min(0).max(1).default(0.5).describe("CodeFormer's weight (0 = strongest restoration)"),
    visibility: z.number().min(0).max(1).default(1).describe('Blend of the restored faces over the original'),
  })
  .strict()
  .describe('Restore faces in each image after decoding (before upscale); the base image is kept');

export const hiresStepSchema = z
  .object({
    scale: z.number().min(1).max(4).default(2).describe('Second pass size ÷ base size (A1111 hr_scale)'),
    width: z.number().int().min(64).max(8192).optional().describe('Second pass width (A1111 hr_resize_x); overrides scale'),
    height: z.number().int().min(64).max(8192).optional().describe('Second pass height (A1111 hr_resize_y); overrides scale'),
    upscaler: modelName.default('latent').describe('latent (bilinear latents), latent-nearest, or an upscaler model (decode → upscale → encode)'),
    strength: z.number().min(0).max(1).default(0.7).describe('Denoising strength of the second pass (A1111 denoising_strength)'),
    steps: z.number().int().min(0).max(150).default(0).describe('Second pass steps (A1111 hr_second_pass_steps); 0: num_inference_steps'),
  })
  .strict()
  .describe('Hires fix: generate at the base size, upscale, then img2img at the larger size, same seed');

const maskPointSchema = z
  .object({
    x: z.number().finite().min(0).max(16384),
    y: z.number().finite().min(0).max(16384),
    label: z.union([z.enum(['positive', 'negative']), z.literal(1), z.literal(0)]).default('positive'),
  })
  .strict();
const maskBoxSchema = z.object({ x0: z.number().finite().min(0).max(16384), y0: z.number().finite().min(0).max(16384), x1: z.number().finite().min(0).max(16384), y1: z.number().finite().min(0).max(16384) }).strict();

export const maskPromptSchema = z
  .object({
    points: z.array(maskPointSchema).max(MAX_MASK_POINTS).default([]),
    boxes: z.array(maskBoxSchema).max(1).default([]),
    model: modelName.optional().describe('Segmenter (kind segmenter); default the first announced'),
  })
  .strict()
  .refine((prompt) => prompt.points.length + prompt.boxes.length > 0, { message: 'give at least one point or box' })
  .describe('Inpainting mask from clicks on init_image (Segment Anything), made on the worker and stored as a `mask` output');

/** The request fields, spread into the generation request schema. */
export const chainedStepFields = {
  upscale: upscaleStepSchema.optional(),
  face_restore: chainedFaceRestoreSchema.optional(),
  hires: hiresStepSchema.optional(),
  mask_prompt: maskPromptSchema.optional(),
};

interface ChainedStepRequest {
  readonly init_image?: unknown;
  readonly mask_image?: unknown;
  readonly outpaint?: unknown;
  readonly mask_prompt?: unknown;
  readonly hires?: unknown;
}

/** Rules between the chained steps and the other fields (run in the request's superRefine). */
export function refineChainedSteps(request: ChainedStepRequest, context: z.RefinementCtx): void {
  if (request.mask_prompt && !request.init_image) context.addIssue({ code: 'custom', path: ['mask_prompt'], message: 'requires init_image' });
  if (request.mask_prompt && (request.mask_image || request.outpaint)) context.addIssue({ code: 'custom', path: ['mask_prompt'], message: 'cannot be combined with mask_image or outpaint' });
  if (request.hires && request.init_image) context.addIssue({ code: 'custom', path: ['hires'], message: 'applies to txt2img only (no init_image)' });
}

/** Resolved forms: what the worker runs, every default fixed. */
export const resolvedChainedUpscaleSchema = z.object({ model: z.string().min(1), scale: z.number().min(1).max(MAX_CHAINED_SCALE).optional() });
export const resolvedChainedFaceRestoreSchema = z.object({ model: z.string().min(1), detector: z.string().min(1), fidelity: z.number().min(0).max(1), visibility: z.number().min(0).max(1) });
export const resolvedHiresSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  upscaler: z.string().min(1),
  strength: z.number().min(0).max(1),
  steps: z.number().int().positive(),
});
export const resolvedMaskPromptSchema = z.object({
  points: z.array(z.object({ x: z.number(), y: z.number(), label: z.enum(['positive', 'negative']) })),
  boxes: z.array(maskBoxSchema),
  model: z.string().min(1),
});
export type ChainedUpscale = z.infer<typeof resolvedChainedUpscaleSchema>;
export type ChainedFaceRestore = z.infer<typeof resolvedChainedFaceRestoreSchema>;
export type ResolvedHires = z.infer<typeof resolvedHiresSchema>;
export type ResolvedMaskPrompt = z.infer<typeof resolvedMaskPromptSchema>;

export const resolvedChainedStepFields = {
  upscale: resolvedChainedUpscaleSchema.optional(),
  face_restore: resolvedChainedFaceRestoreSchema.optional(),
  hires: resolvedHiresSchema.optional(),
  mask_prompt: resolvedMaskPromptSchema.optional(),
};

/** Registry ONNX models a job runs, by kind and the name workers announce (`<tenant>/<name>` when private): routing reads it. */
export const jobOnnxModelsSchema = z.array(z.object({ kind: z.string(), name: z.string() }));
