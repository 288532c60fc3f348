/**
 * scheduler_config.json → NoiseScheduleConfig: validated, with the declaring class's diffusers
 * defaults for missing keys, scheduler-specific keys kept verbatim in `extra`, and the list of
 * keys the file set kept so another scheduler class can re-default the rest (see class-defaults).
 */
import { z } from 'zod';
import type { NoiseScheduleConfig } from './scheduler.js';
import { CLASS_DEFAULTS, GENERIC_DEFAULTS, isDiffusersClassName, type BaseSettings } from './class-defaults.js';
import { SchedulerConfigError } from './errors.js';

const baseShape = {
  num_train_timesteps: z.number().int().min(2).max(100_000),
  beta_start: z.number().positive().lt(1),
  beta_end: z.number().positive().lt(1),
  beta_schedule: z.enum(['linear', 'scaled_linear', 'squaredcos_cap_v2']),
  trained_betas: z.array(z.number().gt(0).lt(1)).nullable(),
  prediction_type: z.enum(['epsilon', 'v_prediction', 'sample']),
  timestep_spacing: z.enum(['leading', 'trailing', 'linspace']),
  steps_offset: z.number().int().min(0),
  set_alpha_to_one: z.boolean(),
  clip_sample: z.boolean(),
  clip_sample_range: z.number().positive(),
  rescale_betas_zero_snr: z.boolean(),
};
const baseKeys = Object.keys(baseShape) as (keyof BaseSettings)[];

const fileSchema = z.looseObject({
  ...Object.fromEntries(Object.entries(baseShape).map(([key, schema]) => [key, schema.optional()])),
  _class_name: z.string().optional(),
}) as z.ZodType<Partial<BaseSettings> & { _class_name?: string } & Record<string, unknown>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a parsed scheduler_config.json object. Throws SchedulerConfigError. */
export function parseSchedulerConfig(json: unknown): NoiseScheduleConfig {
  if (!isRecord(json)) throw new SchedulerConfigError('scheduler config must be a JSON object');
  // A null base field means "unset" in files written by some tools (trained_betas: null is a value).
  const cleaned = Object.fromEntries(
    Object.entries(json).filter(([key, value]) => value !== null || key === 'trained_betas' || !baseKeys.includes(key as keyof BaseSettings)),
  );
  const parsed = fileSchema.safeParse(cleaned);
  if (!parsed.success) throw new SchedulerConfigError(`invalid scheduler config: ${z.prettifyError(parsed.error)}`);
  const file = parsed.data;
  const className = file._class_name;
  const defaults = className !== undefined && isDiffusersClassName(className) ? CLASS_DEFAULTS[className] : GENERIC_DEFAULTS;
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(file)) if (!baseKeys.includes(key as keyof BaseSettings)) extra[key] = value;
  const value = <K extends keyof BaseSettings>(key: K): BaseSettings[K] => (file[key] === undefined ? defaults.base[key] : (file[key] as BaseSettings[K]));
  const config: NoiseScheduleConfig = {
    num_train_timesteps: value('num_train_timesteps'),
    beta_start: value('beta_start'),
    beta_end: value('beta_end'),
    beta_schedule: value('beta_schedule'),
    trained_betas: value('trained_betas'),
    prediction_type: value('prediction_type'),
    timestep_spacing: value('timestep_spacing'),
    steps_offset: value('steps_offset'),
    set_alpha_to_one: value('set_alpha_to_one'),
    clip_sample: value('clip_sample'),
    clip_sample_range: value('clip_sample_range'),
    rescale_betas_zero_snr: value('rescale_betas_zero_snr'),
    extra,
    explicitKeys: Object.keys(file).filter((key) => file[key] !== undefined),
  };
  if (config.trained_betas !== null && config.trained_betas.length !== config.num_train_timesteps) {
    throw new SchedulerConfigError(
      `invalid scheduler config: trained_betas has ${config.trained_betas.length} entries but num_train_timesteps is ${config.num_train_timesteps}`,
    );
  }
  return config;
}

const NON_FINITE = /^(-?Infinity|NaN)/;

/**
 * Parses scheduler_config.json text. Python's json module writes `-Infinity` (e.g. DPM-Solver's
 * lambda_min_clipped) and `NaN`, which JSON.parse rejects; they are accepted here as numbers.
 */
export function parseSchedulerConfigText(text: string): NoiseScheduleConfig {
  const marker = '\u0000nonfinite:';
  let rewritten = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      rewritten += char;
      if (char === '\\') rewritten += text[++i] ?? '';
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    const match = NON_FINITE.exec(text.slice(i, i + 9));
    if (!inString && match) {
      rewritten += JSON.stringify(marker + match[1]);
      i += match[1].length - 1;
      continue;
    }
    rewritten += char;
  }
  let json: unknown;
  try {
    json = JSON.parse(rewritten, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(marker) ? Number(value.slice(marker.length)) : value,
    );
  } catch (error) {
    throw new SchedulerConfigError(`scheduler config is not valid JSON: ${(error as Error).message}`);
  }
  return parseSchedulerConfig(json);
}
