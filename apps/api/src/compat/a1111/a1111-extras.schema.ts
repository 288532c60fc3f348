import { z } from 'zod';

const base64Image = z.string().min(1, 'give a base64-encoded image');
const unit = z.number().min(0).max(1);

/**
 * AUTOMATIC1111's ExtrasBaseRequest, as far as Atelier runs it: an upscaler (`upscaler_1`, by
 * `upscaling_resize`) and face restoration (GFPGAN or CodeFormer visibility, CodeFormer's
 * weight). Fields A1111 clients send with their defaults are accepted at those values; other
 * values are refused by name; unknown fields too (strict).
 */
const extrasFields = {
  resize_mode: z.literal(0, { message: 'only 0 (scale by upscaling_resize) is supported' }).default(0),
  show_extras_results: z.boolean().default(true),
  gfpgan_visibility: unit.default(0),
  codeformer_visibility: unit.default(0),
  codeformer_weight: unit.default(0),
  upscaling_resize: z.number().min(1).max(8).default(2),
  // Used by resize_mode 1 only: accepted (clients send them) and unused.
  upscaling_resize_w: z.number().int().min(1).optional(),
  upscaling_resize_h: z.number().int().min(1).optional(),
  upscaling_crop: z.boolean().optional(),
  upscaler_1: z.string().min(1).max(100).default('None'),
  upscaler_2: z.literal('None', { message: 'a second upscaler is not supported (only "None")' }).default('None'),
  extras_upscaler_2_visibility: z.literal(0, { message: 'a second upscaler is not supported (only 0)' }).default(0),
  upscale_first: z.boolean().default(false),
};

export const extrasSingleImageSchema = z
  .object({ ...extrasFields, image: base64Image })
  .strict()
  .refine((body) => body.gfpgan_visibility === 0 || body.codeformer_visibility === 0, { message: 'give gfpgan_visibility or codeformer_visibility, not both', path: ['codeformer_visibility'] });
export type ExtrasSingleImage = z.output<typeof extrasSingleImageSchema>;

export const extrasBatchImagesSchema = z
  .object({ ...extrasFields, imageList: z.array(z.object({ data: base64Image, name: z.string().max(255).default('') }).strict()).min(1).max(16) })
  .strict()
  .refine((body) => body.gfpgan_visibility === 0 || body.codeformer_visibility === 0, { message: 'give gfpgan_visibility or codeformer_visibility, not both', path: ['codeformer_visibility'] });
export type ExtrasBatchImages = z.output<typeof extrasBatchImagesSchema>;

export type ExtrasOptions = Omit<ExtrasSingleImage, 'image'>;
