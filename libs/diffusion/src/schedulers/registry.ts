/**
 * The sampler catalogue and the names users may call each sampler by: canonical ids, UI labels,
 * AUTOMATIC1111 names (a trailing "Karras" selects Karras σ), ComfyUI ids, diffusers class names
 * and Segmind's API names, matched case-insensitively with spaces, "_" and "-" ignored. Names
 * that imply settings besides the sampler (ComfyUI's `uni_pc` is UniPC bh1 at order 3) are
 * presets (sampler-presets.ts). sampler-names.test.ts is the audited table, with sources.
 *
 * "DPM Single" (Segmind) and DPMSolverSinglestepScheduler are diffusers' deterministic
 * single-step DPM-Solver; "DPM++ 2S a" is k-diffusion's ancestral sampler, a different one.
 */
import type { NoiseScheduleConfig, Scheduler, SchedulerDefinition, SchedulerOptions } from './scheduler.js';
import { CLASS_DEFAULTS, withClassDefaults, type DiffusersClassName } from './class-defaults.js';
import { DdimScheduler } from './ddim.js';
import { DdpmScheduler } from './ddpm.js';
import { DeisScheduler } from './deis.js';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.js';
import { DpmSolverSinglestepScheduler } from './dpm-solver-singlestep.js';
import { DpmppSdeScheduler } from './dpmpp-sde.js';
import { DpmppTwoSAncestralScheduler } from './dpmpp-2s-ancestral.js';
import { UnknownSchedulerError } from './errors.js';
import { wantsKarras } from './extra-settings.js';
import { EulerScheduler } from './euler.js';
import { EulerAncestralScheduler } from './euler-ancestral.js';
import { HeunScheduler } from './heun.js';
import { Kdpm2Scheduler } from './kdpm2.js';
import { Kdpm2AncestralScheduler } from './kdpm2-ancestral.js';
import { LcmScheduler } from './lcm.js';
import { LmsScheduler } from './lms.js';
import { PndmScheduler } from './pndm.js';
import { SAMPLER_PRESETS } from './sampler-presets.js';
import { UniPcScheduler } from './unipc.js';

export interface RegisteredScheduler extends SchedulerDefinition {
  /** Other names this sampler answers to (labels, A1111, ComfyUI, diffusers class). */
  readonly aliases: readonly string[];
  /** Whether a "… Karras" name / `karras: true` applies Karras σ. */
  readonly supportsKarras: boolean;
  /** The diffusers class whose defaults fill keys a config leaves out. */
  readonly diffusersClass: DiffusersClassName;
}

type Constructor = (config: NoiseScheduleConfig, options: SchedulerOptions) => Scheduler;

function register(
  id: string,
  label: string,
  diffusersClass: DiffusersClassName,
  details: { deterministic: boolean; supportsKarras: boolean; aliases: string[] },
  construct: Constructor,
): RegisteredScheduler {
  return {
    id,
    label,
    diffusersClass,
    deterministic: details.deterministic,
    supportsKarras: details.supportsKarras,
    aliases: details.aliases,
    create: (config, options) => construct(withClassDefaults(config, CLASS_DEFAULTS[diffusersClass]), options),
  };
}

const DETERMINISTIC = { deterministic: true, supportsKarras: true };
const STOCHASTIC = { deterministic: false, supportsKarras: true };

export const SCHEDULERS: readonly RegisteredScheduler[] = [
  register('ddim', 'DDIM', 'DDIMScheduler', { deterministic: true, supportsKarras: false, aliases: ['DDIMScheduler'] }, (c, o) => new DdimScheduler(c, o)),
  register('pndm', 'PNDM', 'PNDMScheduler', { deterministic: true, supportsKarras: false, aliases: ['PLMS', 'PNDMScheduler'] }, (c, o) => new PndmScheduler(c, o)),
  register('lms', 'LMS', 'LMSDiscreteScheduler', { ...DETERMINISTIC, aliases: ['k_lms', 'LMSDiscreteScheduler'] }, (c, o) => new LmsScheduler(c, o)),
  register('euler', 'Euler', 'EulerDiscreteScheduler', { ...DETERMINISTIC, aliases: ['k_euler', 'EulerDiscreteScheduler'] }, (c, o) => new EulerScheduler(c, o)),
  register(
    'euler-a',
    'Euler a',
    'EulerAncestralDiscreteScheduler',
    { ...STOCHASTIC, aliases: ['Euler ancestral', 'euler_ancestral', 'k_euler_a', 'k_euler_ancestral', 'EulerAncestralDiscreteScheduler'] },
    (c, o) => new EulerAncestralScheduler(c, o),
  ),
  register('heun', 'Heun', 'HeunDiscreteScheduler', { ...DETERMINISTIC, aliases: ['k_heun', 'HeunDiscreteScheduler'] }, (c, o) => new HeunScheduler(c, o)),
  register('dpm2', 'DPM2', 'KDPM2DiscreteScheduler', { ...DETERMINISTIC, aliases: ['dpm_2', 'k_dpm_2', 'KDPM2DiscreteScheduler'] }, (c, o) => new Kdpm2Scheduler(c, o)),
  register(
    'dpm2-a',
    'DPM2 a',
    'KDPM2AncestralDiscreteScheduler',
    { ...STOCHASTIC, aliases: ['DPM2 ancestral', 'dpm_2_ancestral', 'k_dpm_2_a', 'KDPM2AncestralDiscreteScheduler'] },
    (c, o) => new Kdpm2AncestralScheduler(c, o),
  ),
  register(
    'dpmpp-2m',
    'DPM++ 2M',
    'DPMSolverMultistepScheduler',
    { ...DETERMINISTIC, aliases: ['DPM Multi', 'dpmpp_2m', 'k_dpmpp_2m', 'DPMSolverMultistepScheduler'] },
    (c, o) => new DpmSolverMultistepScheduler(c, o, 'dpmsolver++'),
  ),
  register(
    'dpmpp-2m-sde',
    'DPM++ 2M SDE',
    'DPMSolverMultistepScheduler',
    { ...STOCHASTIC, aliases: ['dpmpp_2m_sde', 'dpmpp_2m_sde_gpu', 'k_dpmpp_2m_sde'] },
    (c, o) => new DpmSolverMultistepScheduler(c, o, 'sde-dpmsolver++'),
  ),
  register(
    'dpmpp-sde',
    'DPM++ SDE',
    'DPMSolverSDEScheduler',
    { ...STOCHASTIC, aliases: ['dpmpp_sde', 'dpmpp_sde_gpu', 'k_dpmpp_sde', 'DPMSolverSDEScheduler'] },
    (c, o) => new DpmppSdeScheduler(c, o),
  ),
  register(
    'dpm-single',
    'DPM Single',
    'DPMSolverSinglestepScheduler',
    { ...DETERMINISTIC, aliases: ['DPM++ 2S', 'DPMSolverSinglestepScheduler'] },
    (c, o) => new DpmSolverSinglestepScheduler(c, o),
  ),
  register(
    'dpmpp-2s-a',
    'DPM++ 2S a',
    'EulerAncestralDiscreteScheduler',
    { ...STOCHASTIC, aliases: ['DPM++ 2S ancestral', 'dpmpp_2s_ancestral', 'k_dpmpp_2s_a'] },
    (c, o) => new DpmppTwoSAncestralScheduler(c, o),
  ),
  register('deis', 'DEIS', 'DEISMultistepScheduler', { ...DETERMINISTIC, aliases: ['DEISMultistepScheduler'] }, (c, o) => new DeisScheduler(c, o)),
  register(
    'unipc',
    'UniPC',
    'UniPCMultistepScheduler',
    { ...DETERMINISTIC, aliases: ['UniPCMultistepScheduler'] },
    (c, o) => new UniPcScheduler(c, o),
  ),
  register('lcm', 'LCM', 'LCMScheduler', { deterministic: false, supportsKarras: false, aliases: ['LCMScheduler'] }, (c, o) => new LcmScheduler(c, o)),
  register('ddpm', 'DDPM', 'DDPMScheduler', { deterministic: false, supportsKarras: false, aliases: ['DDPMScheduler'] }, (c, o) => new DdpmScheduler(c, o)),
];

/** Case-insensitive, and blind to spaces, "_" and "-": "Euler a" = "euler_a" = "EULER-A". */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

export interface ResolvedScheduler {
  /** The sampler; for a preset name its `create` applies the preset's settings. */
  readonly definition: RegisteredScheduler;
  /** True when the name asked for Karras σ ("DPM++ 2M Karras", "dpmpp_2m_karras"). */
  readonly karras: boolean;
  /** scheduler_config keys the name implies (presets only; empty otherwise). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The preset's own name, written back in infotexts; absent for plain names. */
  readonly preset?: string;
}

function byId(id: string): RegisteredScheduler {
  const definition = SCHEDULERS.find((d) => d.id === id);
  if (!definition) throw new Error(`sampler preset names unknown sampler ${id}`);
  return definition;
}

/** The sampler with `settings` laid over whatever scheduler_config it is created with. */
function withSettings(definition: RegisteredScheduler, settings: Readonly<Record<string, unknown>>): RegisteredScheduler {
  return { ...definition, create: (config, options) => definition.create({ ...config, extra: { ...config.extra, ...settings } }, options) };
}

const NO_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});
const BY_NAME = new Map<string, ResolvedScheduler>();
for (const definition of SCHEDULERS) {
  for (const name of [definition.id, definition.label, ...definition.aliases]) BY_NAME.set(nameKey(name), { definition, karras: false, settings: NO_SETTINGS });
}
for (const preset of SAMPLER_PRESETS) {
  const definition = byId(preset.id);
  const resolved = { definition: withSettings(definition, preset.settings), karras: preset.karras, settings: preset.settings, preset: preset.name };
  BY_NAME.set(nameKey(preset.name), resolved);
}

const KARRAS_SUFFIX = 'karras';

function validNames(): string[] {
  return [
    ...SCHEDULERS.flatMap((definition) => [
      definition.id,
      definition.label,
      ...definition.aliases,
      ...(definition.supportsKarras ? [`${definition.label} Karras`] : []),
    ]),
    ...SAMPLER_PRESETS.map((preset) => preset.name),
  ];
}

/** Resolves any accepted spelling of a sampler name. Throws UnknownSchedulerError. */
export function resolveScheduler(name: string): ResolvedScheduler {
  const key = nameKey(name);
  const direct = BY_NAME.get(key);
  if (direct) return direct;
  if (key.endsWith(KARRAS_SUFFIX)) {
    const base = BY_NAME.get(key.slice(0, -KARRAS_SUFFIX.length));
    if (base?.definition.supportsKarras && !base.karras) return { ...base, karras: true };
  }
  throw new UnknownSchedulerError(name, validNames());
}

/**
 * The full sampler name as AUTOMATIC1111 writes it in the infotext ("DPM++ 2M Karras"), so that
 * resolving it again gives the same sampler and σ schedule. Karras σ counts when the name asked
 * for it or the model's scheduler_config sets use_karras_sigmas, for samplers that support it.
 */
export function samplerName(
  resolved: { readonly definition: SchedulerDefinition; readonly karras: boolean; readonly preset?: string; readonly settings?: Readonly<Record<string, unknown>> },
  config?: NoiseScheduleConfig,
): string {
  const { definition } = resolved;
  const supportsKarras = SCHEDULERS.find((registered) => registered.id === definition.id)?.supportsKarras ?? false;
  const karras = config ? wantsKarras(config, resolved.karras) : resolved.karras;
  // A preset that only selects Karras σ (k_dpmpp_2m_ka) is written as its sampler's label.
  const settings = resolved.settings ?? NO_SETTINGS;
  const name = resolved.preset !== undefined && Object.keys(settings).length > 0 ? resolved.preset : definition.label;
  return supportsKarras && karras ? `${name} Karras` : name;
}

export interface SchedulerListing {
  readonly id: string;
  readonly label: string;
  readonly aliases: readonly string[];
  readonly deterministic: boolean;
  readonly karras: boolean;
}

/** The catalogue for GET /v1/schedulers. */
export function listSchedulers(): SchedulerListing[] {
  return SCHEDULERS.map((definition) => ({
    id: definition.id,
    label: definition.label,
    aliases: [...definition.aliases],
    deterministic: definition.deterministic,
    karras: definition.supportsKarras,
  }));
}

/** A key of raw scheduler_config.json, or of a parsed config's `extra`. */
function settingOf(config: unknown, key: string): unknown {
  if (typeof config !== 'object' || config === null) return undefined;
  const record = config as Record<string, unknown>;
  if (record[key] !== undefined) return record[key];
  const extra = record.extra;
  return typeof extra === 'object' && extra !== null ? (extra as Record<string, unknown>)[key] : undefined;
}

/**
 * The sampler a model ships as its default, from scheduler_config.json's `_class_name` (raw JSON
 * or a parsed NoiseScheduleConfig): the sampler that answers to that class name.
 * DPMSolverMultistep picks 2M or 2M SDE by algorithm_type. Throws UnknownSchedulerError for
 * classes this farm has no port of.
 */
export function schedulerForModelDefault(config: NoiseScheduleConfig | Readonly<Record<string, unknown>>): RegisteredScheduler {
  const className = settingOf(config, '_class_name');
  if (typeof className !== 'string') throw new UnknownSchedulerError(String(className), SCHEDULERS.map((d) => d.diffusersClass));
  const algorithm = settingOf(config, 'algorithm_type');
  if (className === 'DPMSolverMultistepScheduler' && typeof algorithm === 'string' && algorithm.startsWith('sde-')) return byId('dpmpp-2m-sde');
  const chosen = SCHEDULERS.find((definition) => definition.diffusersClass === className && definition.aliases.includes(className));
  if (!chosen) throw new UnknownSchedulerError(className, [...new Set(SCHEDULERS.map((d) => d.diffusersClass))]);
  return chosen;
}
