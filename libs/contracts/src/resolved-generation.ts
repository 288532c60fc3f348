import { z } from 'zod';
import { jobOnnxModelsSchema, resolvedChainedStepFields } from './chained-steps.js';
import { controlNetUnitSchema } from './controlnet-request.js';
import { ipAdapterRequestSchema } from './ip-adapter-request.js';
import { OUTPUT_FORMATS, outpaintSchema } from './generation-request.js';
import { resolvePromptText } from './prompt/prompt-text.js';
import { webhookTargetSchema } from './webhook-events.js';

const loraSchema = z.object({ name: z.string().min(1), weight: z.number() });

/**
 * The parameters of a generation as clients see them (`parameters` of GET /v1/generations/{id}
 * and of webhook bodies): every default fixed. `prompt`, `negative_prompt` and `style` are as
 * the client wrote them; `loras` is the complete list (request `loras` and `<lora:…>` tags).
 * `scheduler` absent: the model's own scheduler (its scheduler_config.json).
 */
export const generationParametersSchema = z.object({
  model: z.string().min(1),
  prompt: z.string(),
  negative_prompt: z.string(),
  style: z.string(),
  samples: z.number().int().positive(),
  scheduler: z.string().optional(),
  num_inference_steps: z.number().int().positive(),
  guidance_scale: z.number().min(0),
  strength: z.number().min(0).max(1),
  high_noise_fraction: z.number().gt(0).lt(1),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  refiner: z.boolean(),
  loras: z.array(loraSchema),
  base64: z.boolean(),
  init_image: z.string().optional(),
  mask_image: z.string().optional(),
  mask_blur: z.number().int().min(0),
  outpaint: outpaintSchema.optional(),
  /** Present only when the request used ControlNets (every default fixed). */
  controlnets: z.array(controlNetUnitSchema).optional(),
  guess_mode: z.boolean().optional(),
  /** Present only when the request had an image prompt (scale default fixed). */
  ip_adapter: ipAdapterRequestSchema.optional(),
  /** Present only when the request chained these steps (see chained-steps.ts). */
  ...resolvedChainedStepFields,
  output_format: z.enum(OUTPUT_FORMATS),
  output_quality: z.number().int().min(1).max(100),
  webhook: webhookTargetSchema.optional(),
});
export type GenerationParameters = z.infer<typeof generationParametersSchema>;

export const RESOLVED_GENERATION_VERSION = 4;

/**
 * A request after the API's resolver: what a worker runs, complete. The worker derives nothing
 * from it: `conditioning` is the text its encoders read (style applied, LoRA tags taken out),
 * `styled` the text its infotext records,
 * `loras` the adapters it applies, `width`/`height` the size it generates at.
 */
const promptPairSchema = z.object({ prompt: z.string(), negative_prompt: z.string() });

export const resolvedGenerationSchema = generationParametersSchema.extend({
  v: z.literal(RESOLVED_GENERATION_VERSION),
  /** The style applied, LoRA tags kept: the prompt text the image's parameters (infotext) record. */
  styled: promptPairSchema,
  /** The style applied, LoRA tags taken out: what the text encoders read. */
  conditioning: promptPairSchema,
  /**
   * The registry ONNX models the job runs (ControlNets, their preprocessor models, the
   * IP-Adapter) by the name workers announce them (`<tenant>/<name>` for the tenant's private
   * one): the job's routing requirement, fixed at submit time.
   */
  onnx_models: jobOnnxModelsSchema.optional(),
});
export type ResolvedGeneration = z.infer<typeof resolvedGenerationSchema>;

/**
 * v3: written before IP-Adapters and the chained steps (upscale, face_restore, hires, mask_prompt);
 * routing requirements were derived from the ControlNets. The same job at v4: the bump makes a
 * v3-only worker refuse an image prompt or a chained step instead of running without it.
 */
const legacyV3Schema = resolvedGenerationSchema.extend({
  v: z.literal(3),
  ip_adapter: z.undefined(),
  upscale: z.undefined(),
  face_restore: z.undefined(),
  hires: z.undefined(),
  mask_prompt: z.undefined(),
  onnx_models: z.undefined(),
});

/**
 * v2: written before ControlNets (no `controlnets`/`guess_mode`); the same job at v3. The bump
 * makes a v2-only worker refuse a job with ControlNets instead of running it without them.
 */
const legacyV2Schema = legacyV3Schema.extend({ v: z.literal(2), controlnets: z.undefined(), guess_mode: z.undefined() });

/**
 * v1 (no `v` field): stored by APIs before the resolver derived the prompt text; the worker
 * applied the style and re-read the prompt's LoRA tags. Every v1 writer set width and height and
 * merged the tags into `loras`, so the upgrade only adds what v2 derives.
 */
const legacyV1Schema = z.object({
  ...generationParametersSchema.shape,
  loras: z.array(loraSchema).default([]),
  mask_blur: z.number().int().min(0).default(0),
  output_format: z.enum(OUTPUT_FORMATS).default('png'),
  output_quality: z.number().int().min(1).max(100).default(90),
});

/** A v1 request as v2: its prompt text and LoRA list derived the way v1 workers derived them. */
export function upgradeResolvedGeneration(v1: z.infer<typeof legacyV1Schema>): ResolvedGeneration {
  const { styled, conditioning, loras } = resolvePromptText(v1);
  return { ...v1, v: RESOLVED_GENERATION_VERSION, styled, conditioning, loras };
}

const storedSchema = z.union([
  resolvedGenerationSchema,
  legacyV3Schema.transform((v3): ResolvedGeneration => ({ ...v3, v: RESOLVED_GENERATION_VERSION })),
  legacyV2Schema.transform((v2): ResolvedGeneration => ({ ...v2, v: RESOLVED_GENERATION_VERSION })),
  legacyV1Schema.strip().transform((v1, context) => {
    try {
      return upgradeResolvedGeneration(v1);
    } catch (error) {
      context.addIssue({ code: 'custom', message: `a v1 request cannot be upgraded: ${error instanceof Error ? error.message : String(error)}` });
      return z.NEVER;
    }
  }),
]);

/**
 * The one place a stored request is read (generation records): the current version as is, older
 * versions upgraded. A job queued before an upgrade of the farm runs on the new workers.
 */
export function readResolvedGeneration(stored: unknown): ResolvedGeneration {
  return storedSchema.parse(stored);
}

/** The client-visible parameters of a resolved request (what only workers read left out). */
export function generationParameters(request: ResolvedGeneration): GenerationParameters {
  const { v: _version, styled: _styled, conditioning: _conditioning, onnx_models: _onnxModels, ...parameters } = request;
  return parameters;
}
