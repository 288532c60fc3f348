import { z } from 'zod';
import type { RequestLimits } from '#libs/contracts/src/index.js';
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
 * One schema per endpoint: the mapped fields typed (null accepted as "not given", as A1111's
 * pydantic models do), the ignored and conditionally refused ones accepted as anything and then
 * checked against REFUSAL_RULES, and every other field a 400 naming it (`.strict()`).
 */
export function a1111RequestSchema(kind: A1111Kind, limits: RequestLimits) {
  const passthrough = Object.fromEntries(
    [...IGNORED_FIELDS, ...REFUSAL_RULES.map((rule) => rule.field)].filter(belongs(kind)).map((field) => [field, z.unknown().optional()]),
  );
  const image = z.string().min(1).describe('base64 image bytes or a data: URL');
  const common = {
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
  };
  const img2img = {
    init_images: z.array(image).min(1, 'needs one image').max(1, 'exactly one init image is supported'),
    mask: image.nullish().describe('white = repaint'),
    mask_blur: z.number().int().min(0).max(64).nullish(),
    mask_blur_x: z.number().int().min(0).max(64).nullish(),
    mask_blur_y: z.number().int().min(0).max(64).nullish(),
    include_init_images: z.boolean().nullish(),
  };
  const shape = kind === 'img2img' ? { ...passthrough, ...common, ...img2img } : { ...passthrough, ...common };
  return z
    .object(shape)
    .strict()
    .superRefine((body, context) => {
      const fields = body as Readonly<Record<string, unknown>>;
      for (const rule of REFUSAL_RULES) {
        if (rule.field in shape && !rule.neutral(fields[rule.field], fields)) context.addIssue({ code: 'custom', path: [rule.field], message: rule.message });
      }
    });
}

type Txt2ImgBody = z.infer<ReturnType<typeof txt2imgType>>;
type Img2ImgBody = z.infer<ReturnType<typeof img2imgType>>;
const txt2imgType = () => a1111RequestSchema('txt2img', { maxSamples: 1, maxSteps: 1, maxPixels: 1, maxPromptChars: 1 });
const img2imgType = () => a1111RequestSchema('img2img', { maxSamples: 1, maxSteps: 1, maxPixels: 1, maxPromptChars: 1 });

/** A validated body of either endpoint; img2img fields are absent from txt2img bodies. */
export type A1111Request = Txt2ImgBody & Partial<Img2ImgBody>;
