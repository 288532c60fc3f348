import { z } from 'zod';
import type { RequestLimits } from '@atelier/contracts';
import { alwaysOnScriptsSchema } from './a1111-controlnet.js';
import { IGNORED_FIELDS, REFUSAL_RULES } from './a1111-fields.js';

export type A1111Kind = 'txt2img' | 'img2img';

/** Fields of only one of the two endpoints (A1111's StableDiffusion{Txt2Img,Img2Img}ProcessingAPI). */
const TXT2IMG_ONLY = new Set([
  'enable_hr',
  'firstphase_width',
  'firstphase_height',
  'hr_scale',
  'hr_upscaler',
  'hr_second_pass_steps',
  'hr_resize_x',
  'hr_resize_y',
  'hr_checkpoint_name',
  'hr_additional_modules',
  'hr_sampler_name',
  'hr_scheduler',
  'hr_prompt',
  'hr_negative_prompt',
  'firstpass_image',
]);
const IMG2IMG_ONLY = new Set([
  'init_images',
  'resize_mode',
  'image_cfg_scale',
  'mask',
  'mask_blur_x',
  'mask_blur_y',
  'mask_blur',
  'mask_round',
  'inpainting_fill',
  'inpaint_full_res',
  'inpaint_full_res_padding',
  'inpainting_mask_invert',
  'initial_noise_multiplier',
  'latent_mask',
  'include_init_images',
]);

const belongs = (kind: A1111Kind) => (field: string) => (kind === 'txt2img' ? !IMG2IMG_ONLY.has(field) : !TXT2IMG_ONLY.has(field));

/**
 * Ignored and conditionally refused fields: accepted as anything here, then checked against
 * REFUSAL_RULES. Typed as no keys because the mapping never reads them.
 */
function passthroughShape(kind: A1111Kind): Record<never, z.ZodType> {
  const ignored = IGNORED_FIELDS.map((field) => [field, 'Accepted and ignored: does not change the image'] as const);
  const refused = REFUSAL_RULES.map((rule) => [rule.field, `Accepted only where it leaves the image unchanged; otherwise 400: ${rule.message}`] as const);
  return Object.fromEntries([...ignored, ...refused].filter(([field]) => belongs(kind)(field)).map(([field, note]) => [field, z.unknown().optional().describe(note)]));
}

const image = z.string().min(1).describe('base64 image bytes or a data: URL');

function commonShape(kind: A1111Kind, limits: RequestLimits) {
  return {
    prompt: z.string().max(limits.maxPromptChars).nullish(),
    negative_prompt: z.string().max(limits.maxPromptChars).nullish(),
    styles: z.array(z.string()).nullish().describe('At most one Atelier style preset (GET /v1/styles)'),
    seed: z.number().int().min(-1).max(2 ** 32 - 1).nullish().describe('-1: random; image k uses seed+k'),
    sampler_name: z.string().nullish().describe('A1111 sampler name, e.g. "DPM++ 2M Karras" or "Euler a"'),
    sampler_index: z.string().nullish().describe('Deprecated alias of sampler_name'),
    scheduler: z.string().nullish().describe('Schedule type: "Automatic" or "Karras"'),
    batch_size: z.number().int().min(1).nullish(),
    n_iter: z.number().int().min(1).nullish(),
    steps: z.number().int().min(1).nullish().describe('Default 50 (as in A1111)'),
    cfg_scale: z.number().min(0).nullish().describe('Default 7 (as in A1111)'),
    width: z.number().int().nullish().describe("Default: the model's native width"),
    height: z.number().int().nullish().describe("Default: the model's native height"),
    denoising_strength: z.number().min(0).max(1).nullish().describe(kind === 'img2img' ? 'Default 0.75' : 'Ignored (high-resolution fix only)'),
    refiner_checkpoint: z.string().nullish().describe("The model's configured refiner, or empty"),
    refiner_switch_at: z.number().gt(0).lt(1).nullish(),
    override_settings: z.record(z.string(), z.unknown()).nullish().describe('sd_model_checkpoint selects the model'),
    send_images: z.boolean().nullish(),
    restore_faces: z.boolean().nullish().describe("face_restore with the farm's first face restorer and detector"),
    alwayson_scripts: alwaysOnScriptsSchema.nullish(),
  };
}

/** High-resolution fix (txt2img only): mapped onto the native `hires`. */
const hiresShape = {
  enable_hr: z.boolean().nullish().describe('Hires fix: generate, upscale, then img2img at the larger size'),
  hr_scale: z.number().min(1).max(4).nullish().describe('Default 2'),
  hr_upscaler: z.string().max(200).nullish().describe('"Latent", "Latent (nearest)", "Latent (nearest-exact)" or an upscaler model name (GET /sdapi/v1/upscalers)'),
  hr_second_pass_steps: z.number().int().min(0).max(150).nullish().describe('0: the first pass steps'),
  hr_resize_x: z.number().int().min(0).max(8192).nullish().describe('0: width × hr_scale'),
  hr_resize_y: z.number().int().min(0).max(8192).nullish().describe('0: height × hr_scale'),
};

const img2imgShape = {
  init_images: z.array(image).min(1, 'needs one image').max(1, 'exactly one init image is supported'),
  mask: image.nullish().describe('white = repaint'),
  mask_blur: z.number().int().min(0).max(64).nullish(),
  mask_blur_x: z.number().int().min(0).max(64).nullish(),
  mask_blur_y: z.number().int().min(0).max(64).nullish(),
  include_init_images: z.boolean().nullish(),
};

/** Refused values get a 400 with the reason (the rule's message), not just "invalid". */
function refuseImageChanging(shape: Readonly<Record<string, unknown>>) {
  return (body: object, context: z.RefinementCtx): void => {
    const fields = body as Readonly<Record<string, unknown>>;
    for (const rule of REFUSAL_RULES) {
      if (rule.field in shape && !rule.neutral(fields[rule.field], fields)) context.addIssue({ code: 'custom', path: [rule.field], message: rule.message });
    }
  };
}

/**
 * POST /sdapi/v1/txt2img: the mapped fields typed (null accepted as "not given", as A1111's
 * pydantic models do), the ignored and conditionally refused ones checked by REFUSAL_RULES, and
 * any other field a 400 naming it (`.strict()`).
 */
export function txt2imgRequestSchema(limits: RequestLimits) {
  const shape = { ...passthroughShape('txt2img'), ...commonShape('txt2img', limits), ...hiresShape };
  return z.object(shape).strict().superRefine(refuseImageChanging(shape));
}

/** POST /sdapi/v1/img2img: txt2img's fields without high-resolution fix, plus the image inputs. */
export function img2imgRequestSchema(limits: RequestLimits) {
  const shape = { ...passthroughShape('img2img'), ...commonShape('img2img', limits), ...img2imgShape };
  return z.object(shape).strict().superRefine(refuseImageChanging(shape));
}

/** A validated body of either endpoint; txt2img bodies lack the image inputs. */
export type A1111Request = Omit<z.infer<ReturnType<typeof txt2imgRequestSchema>>, keyof typeof hiresShape> &
  Partial<Pick<z.infer<ReturnType<typeof txt2imgRequestSchema>>, keyof typeof hiresShape>> &
  Partial<Pick<z.infer<ReturnType<typeof img2imgRequestSchema>>, keyof typeof img2imgShape>>;
