/**
 * Constructor defaults of the diffusers scheduler classes, for the keys a scheduler_config.json
 * may leave out. They differ per class (spacing, beta range, clipping), and diffusers'
 * `from_config` applies the target class's own defaults, so each scheduler here does too.
 */
import type { NoiseScheduleConfig } from './scheduler.js';

export type BaseSettings = Omit<NoiseScheduleConfig, 'extra' | 'explicitKeys'>;

export interface ClassDefaults {
  readonly className: string;
  readonly base: BaseSettings;
  readonly extra: Readonly<Record<string, unknown>>;
}

const DDPM_STYLE: BaseSettings = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
  steps_offset: 0,
  set_alpha_to_one: true,
  clip_sample: true,
  clip_sample_range: 1,
  rescale_betas_zero_snr: false,
};

/** Samplers whose diffusers class has no clipping and defaults to linspace spacing. */
const K_STYLE: BaseSettings = { ...DDPM_STYLE, timestep_spacing: 'linspace', clip_sample: false };
/** The k-diffusion ports diffusers added later default to the SD beta range (linear schedule). */
const K_STYLE_SD_RANGE: BaseSettings = { ...K_STYLE, beta_start: 0.00085, beta_end: 0.012 };

function define(className: string, base: BaseSettings, extra: Record<string, unknown> = {}): ClassDefaults {
  return { className, base, extra };
}

export const CLASS_DEFAULTS = {
  DDIMScheduler: define('DDIMScheduler', DDPM_STYLE),
  PNDMScheduler: define('PNDMScheduler', { ...DDPM_STYLE, set_alpha_to_one: false, clip_sample: false }, { skip_prk_steps: false }),
  DDPMScheduler: define('DDPMScheduler', DDPM_STYLE, { variance_type: 'fixed_small' }),
  LCMScheduler: define(
    'LCMScheduler',
    { ...DDPM_STYLE, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', clip_sample: false },
    { original_inference_steps: 50, timestep_scaling: 10 },
  ),
  EulerDiscreteScheduler: define('EulerDiscreteScheduler', K_STYLE, {
    use_karras_sigmas: false,
    interpolation_type: 'linear',
    final_sigmas_type: 'zero',
    timestep_type: 'discrete',
  }),
  EulerAncestralDiscreteScheduler: define('EulerAncestralDiscreteScheduler', K_STYLE),
  LMSDiscreteScheduler: define('LMSDiscreteScheduler', K_STYLE, { use_karras_sigmas: false }),
  HeunDiscreteScheduler: define('HeunDiscreteScheduler', K_STYLE_SD_RANGE, { use_karras_sigmas: false }),
  KDPM2DiscreteScheduler: define('KDPM2DiscreteScheduler', K_STYLE_SD_RANGE, { use_karras_sigmas: false }),
  KDPM2AncestralDiscreteScheduler: define('KDPM2AncestralDiscreteScheduler', K_STYLE_SD_RANGE, { use_karras_sigmas: false }),
  DPMSolverSDEScheduler: define('DPMSolverSDEScheduler', K_STYLE_SD_RANGE, { use_karras_sigmas: false }),
  // No timestep_spacing in this class: the scheduler always spaces linspace-style.
  DPMSolverSinglestepScheduler: define('DPMSolverSinglestepScheduler', K_STYLE, {
    solver_order: 2,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    lower_order_final: false,
    use_karras_sigmas: false,
    final_sigmas_type: 'zero',
    lambda_min_clipped: Number.NEGATIVE_INFINITY,
  }),
  DPMSolverMultistepScheduler: define('DPMSolverMultistepScheduler', K_STYLE, {
    solver_order: 2,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    lower_order_final: true,
    euler_at_final: false,
    use_karras_sigmas: false,
    final_sigmas_type: 'zero',
    lambda_min_clipped: Number.NEGATIVE_INFINITY,
  }),
  UniPCMultistepScheduler: define('UniPCMultistepScheduler', K_STYLE, {
    solver_order: 2,
    predict_x0: true,
    solver_type: 'bh2',
    lower_order_final: true,
    disable_corrector: [],
    use_karras_sigmas: false,
    final_sigmas_type: 'zero',
  }),
  DEISMultistepScheduler: define('DEISMultistepScheduler', K_STYLE, {
    solver_order: 2,
    algorithm_type: 'deis',
    solver_type: 'logrho',
    lower_order_final: true,
    use_karras_sigmas: false,
  }),
} as const satisfies Record<string, ClassDefaults>;

export type DiffusersClassName = keyof typeof CLASS_DEFAULTS;

export function isDiffusersClassName(name: string): name is DiffusersClassName {
  return Object.hasOwn(CLASS_DEFAULTS, name);
}

/** Fallback when a file names no (known) class: the DDPM/DDIM constructor defaults. */
export const GENERIC_DEFAULTS = define('DDPMScheduler', DDPM_STYLE);

/**
 * The config a scheduler of `defaults.className` sees: fields the file set are kept, the others
 * take this class's defaults; extras the file set win over the class's extra defaults.
 */
export function withClassDefaults(config: NoiseScheduleConfig, defaults: ClassDefaults): NoiseScheduleConfig {
  const explicit = config.explicitKeys === undefined ? null : new Set(config.explicitKeys);
  const pick = <K extends keyof BaseSettings>(key: K): BaseSettings[K] =>
    explicit === null || explicit.has(key) ? config[key] : defaults.base[key];
  const extra: Record<string, unknown> = { ...defaults.extra };
  for (const [key, value] of Object.entries(config.extra)) if (value !== undefined && value !== null) extra[key] = value;
  return {
    num_train_timesteps: pick('num_train_timesteps'),
    beta_start: pick('beta_start'),
    beta_end: pick('beta_end'),
    beta_schedule: pick('beta_schedule'),
    trained_betas: pick('trained_betas'),
    prediction_type: pick('prediction_type'),
    timestep_spacing: pick('timestep_spacing'),
    steps_offset: pick('steps_offset'),
    set_alpha_to_one: pick('set_alpha_to_one'),
    clip_sample: pick('clip_sample'),
    clip_sample_range: pick('clip_sample_range'),
    rescale_betas_zero_snr: pick('rescale_betas_zero_snr'),
    extra,
    explicitKeys: config.explicitKeys,
  };
}
