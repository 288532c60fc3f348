import { z } from 'zod';
import { chainedStepFields, refineChainedSteps } from './chained-steps.js';
import { controlNetUnitsSchema, refineControlNets } from './controlnet-request.js';
import { ipAdapterRequestSchema } from './ip-adapter-request.js';
import { imageReferenceSchema } from './image-reference.js';
import { webhookTargetSchema } from './webhook-events.js';

export interface RequestLimits {
  readonly maxSamples: number;
  readonly maxSteps: number;
  readonly maxPixels: number;
  readonly maxPromptChars: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxSamples: 8, maxSteps: 150, maxPixels: 2048 * 2048, maxPromptChars: 10_000 };

const outpaintSide = z.number().int().min(0).max(2048).refine((value) => value % 8 === 0, { message: 'must be a multiple of 8' });

export const outpaintSchema = z
  .object({ left: outpaintSide.default(0), right: outpaintSide.default(0), top: outpaintSide.default(0), bottom: outpaintSide.default(0) })
  .strict()
  .refine((sides) => sides.left + sides.right + sides.top + sides.bottom > 0, { message: 'extend at least one side' })
  .describe('Outpainting: pixels to add on each side of init_image; the new area is generated');

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const dimension = z
  .number()
  .int()
  .min(64)
  .max(4096)
  .refine((value) => value % 8 === 0, { message: 'must be a multiple of 8' });

/**
 * The body of POST /v1/generations: the Stable Diffusion vocabulary users already send, field for
 * field. `.strict()` so that a field we do not support yet is a 400 naming it, never ignored.
 */
export function generationRequestSchema(limits: RequestLimits = DEFAULT_LIMITS) {
  return z
    .object({
      model: z.string().min(1).max(200).optional().describe('Model id (GET /v1/models); default: the configured default model'),
      prompt: z.string().min(1, 'must not be empty').max(limits.maxPromptChars),
      negative_prompt: z.string().max(limits.maxPromptChars).default(''),
      style: z.string().min(1).max(64).default('base').describe('Style preset (GET /v1/styles)'),
      samples: z.number().int().min(1).max(limits.maxSamples).default(1),
      scheduler: z.string().min(1).max(64).optional().describe('Sampler name (GET /v1/schedulers); default: the model default'),
      num_inference_steps: z.number().int().min(1).max(limits.maxSteps).optional().describe("Default: the model's (25; Turbo 1, LCM 4)"),
      guidance_scale: z.number().min(0).max(50).optional().describe("Default: the model's (7.5; Turbo 0, LCM 1, SSD-1B/Vega 9)"),
      strength: z.number().min(0).max(1).default(0.8).describe('img2img: fraction of the schedule that is run'),
      high_noise_fraction: z.number().gt(0).lt(1).default(0.8).describe('Refiner: fraction of the schedule run by the base model'),
      seed: z.number().int().min(-1).max(2 ** 32 - 1).default(-1).describe('-1: random; samples use seed … seed+N−1'),
      img_width: dimension.optional(),
      img_height: dimension.optional(),
      refiner: z.boolean().default(false),
      loras: z
        .array(z.object({ name: z.string().min(1).max(200), weight: z.number().min(-4).max(4).default(1) }).strict())
        .max(8)
        .default([])
        .describe('LoRAs to apply (GET /v1/models?kind=lora); <lora:name:weight> prompt tags work too'),
      base64: z.boolean().default(false).describe('Return images inline as base64 instead of URLs'),
      init_image: imageReferenceSchema.optional().describe('img2img / inpainting source: URL or base64'),
      mask_image: imageReferenceSchema.optional().describe('Inpainting mask (white = change): URL or base64'),
      mask_blur: z.number().int().min(0).max(64).default(0).describe('Gaussian blur radius (px) applied to the mask edges'),
      outpaint: outpaintSchema.optional(),
      controlnets: controlNetUnitsSchema.optional(),
      guess_mode: z.boolean().default(false).describe('diffusers guess mode: the ControlNets see only the positive prompt and their residuals ramp up over the blocks'),
      ip_adapter: ipAdapterRequestSchema.optional(),
      ...chainedStepFields,
      output_format: z.enum(OUTPUT_FORMATS).default('png').describe('png (parameters in a text chunk), jpeg or webp (parameters in EXIF)'),
      output_quality: z.number().int().min(1).max(100).default(90).describe('jpeg/webp quality'),
      webhook: webhookTargetSchema.optional(),
    })
    .strict()
    .superRefine((request, context) => {
      if (request.mask_image && !request.init_image) {
        context.addIssue({ code: 'custom', path: ['mask_image'], message: 'requires init_image' });
      }
      if (request.outpaint && !request.init_image) {
        context.addIssue({ code: 'custom', path: ['outpaint'], message: 'requires init_image' });
      }
      if (request.outpaint && request.mask_image) {
        context.addIssue({ code: 'custom', path: ['outpaint'], message: 'cannot be combined with mask_image (outpainting makes its own mask)' });
      }
      refineControlNets(request, context);
      refineChainedSteps(request, context);
      const width = (request.img_width ?? 0) + (request.outpaint ? request.outpaint.left + request.outpaint.right : 0);
      const height = (request.img_height ?? 0) + (request.outpaint ? request.outpaint.top + request.outpaint.bottom : 0);
      if (width * height > limits.maxPixels) {
        context.addIssue({ code: 'custom', path: ['img_width'], message: `img_width × img_height must not exceed ${limits.maxPixels} pixels` });
      }
    });
}

export type GenerationRequest = z.infer<ReturnType<typeof generationRequestSchema>>;
export type GenerationRequestInput = z.input<ReturnType<typeof generationRequestSchema>>;

export function batchRequestSchema(maxBatchSize: number, limits: RequestLimits = DEFAULT_LIMITS) {
  return z
    .object({
      requests: z.array(generationRequestSchema(limits)).min(1).max(maxBatchSize),
      webhook: webhookTargetSchema.optional(),
    })
    .strict();
}
export type BatchRequest = z.infer<ReturnType<typeof batchRequestSchema>>;
