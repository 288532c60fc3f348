/**
 * How every AUTOMATIC1111 request field is treated, in one table the schema, the refusal checks
 * and the documentation share. A field outside these lists is a 400 naming it.
 */

/** Translated into the native request (see to-generation-request.ts). */
export const MAPPED_FIELDS = [
  'prompt',
  'negative_prompt',
  'styles',
  'seed',
  'sampler_name',
  'sampler_index',
  'scheduler',
  'batch_size',
  'n_iter',
  'steps',
  'cfg_scale',
  'width',
  'height',
  'denoising_strength',
  'init_images',
  'mask',
  'mask_blur',
  'mask_blur_x',
  'mask_blur_y',
  'refiner_checkpoint',
  'refiner_switch_at',
  'override_settings',
  'send_images',
  'include_init_images',
] as const;

/** Accepted and ignored: they never change the pixels Atelier returns. */
export const IGNORED_FIELDS = [
  'subseed', // only used with subseed_strength > 0, which is refused
  'do_not_save_samples',
  'do_not_save_grid',
  'save_images', // outputs are always stored (GET /v1/generations)
  'override_settings_restore_afterwards',
  'disable_extra_networks', // Atelier has no extra networks; <lora:…> tags are refused anyway
  'comments',
  'force_task_id',
  'image_cfg_scale', // instruct-pix2pix models only
  'mask_round',
  'inpaint_full_res_padding', // only with inpaint_full_res, refused with a mask
  // High-resolution fix settings Atelier does not vary (the second pass uses the first pass's model, sampler and prompts).
  'firstphase_width',
  'firstphase_height',
  'hr_checkpoint_name',
  'hr_additional_modules',
  'hr_sampler_name',
  'hr_scheduler',
  'hr_prompt',
  'hr_negative_prompt',
] as const;

const isOff = (value: unknown): boolean => value === undefined || value === null || value === false || value === 0 || value === '';
const isNullOr =
  (...neutral: unknown[]) =>
  (value: unknown): boolean =>
    value === undefined || value === null || neutral.includes(value);

export interface RefusalRule {
  readonly field: string;
  /** True when the value leaves the image as Atelier makes it. */
  readonly neutral: (value: unknown, body: Readonly<Record<string, unknown>>) => boolean;
  readonly message: string;
}

/** Accepted only at values that do not change the image; anything else is a 400 saying why. */
export const REFUSAL_RULES: readonly RefusalRule[] = [
  { field: 'tiling', neutral: isOff, message: 'tiling (seamless textures) is not supported; send false or leave it out' },
  { field: 'subseed_strength', neutral: isNullOr(0), message: 'variation seeds are not supported; send 0 or leave it out' },
  { field: 'seed_resize_from_h', neutral: isNullOr(-1, 0), message: 'seed resizing is not supported; send -1 or leave it out' },
  { field: 'seed_resize_from_w', neutral: isNullOr(-1, 0), message: 'seed resizing is not supported; send -1 or leave it out' },
  { field: 'eta', neutral: isNullOr(), message: "a custom eta is not supported (each sampler uses its own); send null or leave it out" },
  { field: 's_churn', neutral: isNullOr(0), message: 'sampler noise settings are not supported; send 0 or leave it out' },
  { field: 's_tmin', neutral: isNullOr(0), message: 'sampler noise settings are not supported; send 0 or leave it out' },
  { field: 's_tmax', neutral: isNullOr(0), message: 'sampler noise settings are not supported; send 0 or leave it out' },
  { field: 's_noise', neutral: isNullOr(1), message: 'sampler noise settings are not supported; send 1 or leave it out' },
  { field: 's_min_uncond', neutral: isNullOr(0), message: 'negative-guidance minimum sigma is not supported; send 0 or leave it out' },
  { field: 'script_name', neutral: isOff, message: 'scripts are not supported; leave script_name out' },
  { field: 'script_args', neutral: (value) => isOff(value) || (Array.isArray(value) && value.length === 0), message: 'scripts are not supported; send [] or leave it out' },
  { field: 'infotext', neutral: isOff, message: 'reading parameters from an infotext is not supported; send the fields themselves' },
  { field: 'firstpass_image', neutral: isOff, message: 'a first-pass image is only used by high-resolution fix, which is not supported' },
  { field: 'resize_mode', neutral: isNullOr(0), message: 'only resize_mode 0 ("Just resize": the image is stretched to width×height) is supported' },
  {
    field: 'inpainting_fill',
    neutral: isNullOr(0, 1),
    message: 'only 0 (fill) and 1 (original) are supported: masked areas start from the source image; latent noise (2) and latent nothing (3) are not',
  },
  {
    field: 'inpaint_full_res',
    neutral: (value, body) => isOff(value) || isOff(body.mask),
    message: 'inpainting "only masked" (inpaint_full_res: true) is not supported; send false to inpaint the whole picture',
  },
  { field: 'inpainting_mask_invert', neutral: isOff, message: 'inverted masks are not supported; invert the mask image (white = repaint)' },
  { field: 'initial_noise_multiplier', neutral: isNullOr(1), message: 'a custom initial noise multiplier is not supported; send 1 or leave it out' },
  { field: 'latent_mask', neutral: isOff, message: 'a separate latent mask is not supported' },
];

/** override_settings keys: sd_model_checkpoint selects the model; these are accepted at their neutral values. */
export const NEUTRAL_OVERRIDES: Readonly<Record<string, readonly unknown[]>> = {
  CLIP_stop_at_last_layers: [1],
  sd_vae: ['Automatic', 'None'],
};

/** A1111 ≥ 1.9 splits the schedule type from the sampler; these are the types Atelier runs. */
export const SCHEDULE_TYPES = [
  { name: 'automatic', label: 'Automatic', default_rho: -1 },
  { name: 'karras', label: 'Karras', default_rho: 7 },
] as const;
