/**
 * The sampler catalogue and the names users may call each sampler by: canonical ids, UI labels,
 * AUTOMATIC1111 names (a trailing "Karras" selects Karras σ), ComfyUI ids and diffusers class
 * names, matched case-insensitively with spaces, "_" and "-" ignored.
 *
 * "DPM Single" resolves to DPM++ 2S a (k-diffusion's single-step DPM-Solver++(2S) sampler), the
 * single-step DPM-Solver this farm implements; diffusers' deterministic
 * DPMSolverSinglestepScheduler is not ported, and model defaults naming it map here too.
 */
import type { NoiseScheduleConfig, Scheduler, SchedulerDefinition, SchedulerOptions } from './scheduler.js';
import { CLASS_DEFAULTS, withClassDefaults, type DiffusersClassName } from './class-defaults.js';
import { DdimScheduler } from './ddim.js';
import { DdpmScheduler } from './ddpm.js';
import { DeisScheduler } from './deis.js';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.js';
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
  register('lms', 'LMS', 'LMSDiscreteScheduler', { ...DETERMINISTIC, aliases: ['LMSDiscreteScheduler'] }, (c, o) => new LmsScheduler(c, o)),
  register('euler', 'Euler', 'EulerDiscreteScheduler', { ...DETERMINISTIC, aliases: ['EulerDiscreteScheduler'] }, (c, o) => new EulerScheduler(c, o)),
  register(
    'euler-a',
    'Euler a',
    'EulerAncestralDiscreteScheduler',
    { ...STOCHASTIC, aliases: ['Euler ancestral', 'euler_ancestral', 'EulerAncestralDiscreteScheduler'] },
    (c, o) => new EulerAncestralScheduler(c, o),
  ),
  register('heun', 'Heun', 'HeunDiscreteScheduler', { ...DETERMINISTIC, aliases: ['HeunDiscreteScheduler'] }, (c, o) => new HeunScheduler(c, o)),
  register('dpm2', 'DPM2', 'KDPM2DiscreteScheduler', { ...DETERMINISTIC, aliases: ['dpm_2', 'KDPM2DiscreteScheduler'] }, (c, o) => new Kdpm2Scheduler(c, o)),
  register(
    'dpm2-a',
    'DPM2 a',
    'KDPM2AncestralDiscreteScheduler',
    { ...STOCHASTIC, aliases: ['DPM2 ancestral', 'dpm_2_ancestral', 'KDPM2AncestralDiscreteScheduler'] },
    (c, o) => new Kdpm2AncestralScheduler(c, o),
  ),
  register(
    'dpmpp-2m',
    'DPM++ 2M',
    'DPMSolverMultistepScheduler',
    { ...DETERMINISTIC, aliases: ['DPM Multi', 'dpmpp_2m', 'DPMSolverMultistepScheduler'] },
    (c, o) => new DpmSolverMultistepScheduler(c, o, 'dpmsolver++'),
  ),
  register(
    'dpmpp-2m-sde',
    'DPM++ 2M SDE',
    'DPMSolverMultistepScheduler',
    { ...STOCHASTIC, aliases: ['dpmpp_2m_sde'] },
    (c, o) => new DpmSolverMultistepScheduler(c, o, 'sde-dpmsolver++'),
  ),
  register(
    'dpmpp-sde',
    'DPM++ SDE',
    'DPMSolverSDEScheduler',
    { ...STOCHASTIC, aliases: ['dpmpp_sde', 'DPMSolverSDEScheduler'] },
    (c, o) => new DpmppSdeScheduler(c, o),
  ),
  register(
    'dpmpp-2s-a',
    'DPM++ 2S a',
    'DPMSolverSinglestepScheduler',
    { ...STOCHASTIC, aliases: ['DPM Single', 'DPM++ 2S ancestral', 'dpmpp_2s_ancestral', 'DPMSolverSinglestepScheduler'] },
    (c, o) => new DpmppTwoSAncestralScheduler(c, o),
  ),
  register('deis', 'DEIS', 'DEISMultistepScheduler', { ...DETERMINISTIC, aliases: ['DEISMultistepScheduler'] }, (c, o) => new DeisScheduler(c, o)),
  register(
    'unipc',
    'UniPC',
    'UniPCMultistepScheduler',
    { ...DETERMINISTIC, aliases: ['uni_pc', 'UniPCMultistepScheduler'] },
    (c, o) => new UniPcScheduler(c, o),
  ),
  register('lcm', 'LCM', 'LCMScheduler', { deterministic: false, supportsKarras: false, aliases: ['LCMScheduler'] }, (c, o) => new LcmScheduler(c, o)),
  register('ddpm', 'DDPM', 'DDPMScheduler', { deterministic: false, supportsKarras: false, aliases: ['DDPMScheduler'] }, (c, o) => new DdpmScheduler(c, o)),
];

/** Case-insensitive, and blind to spaces, "_" and "-": "Euler a" = "euler_a" = "EULER-A". */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

const BY_NAME = new Map<string, RegisteredScheduler>();
for (const definition of SCHEDULERS) {
  for (const name of [definition.id, definition.label, ...definition.aliases]) BY_NAME.set(nameKey(name), definition);
}

const KARRAS_SUFFIX = 'karras';

export interface ResolvedScheduler {
  readonly definition: RegisteredScheduler;
  /** True when the name asked for Karras σ ("DPM++ 2M Karras", "dpmpp_2m_karras"). */
  readonly karras: boolean;
}

function validNames(): string[] {
  return SCHEDULERS.flatMap((definition) => [
    definition.id,
    definition.label,
    ...definition.aliases,
    ...(definition.supportsKarras ? [`${definition.label} Karras`] : []),
  ]);
}

/** Resolves any accepted spelling of a sampler name. Throws UnknownSchedulerError. */
export function resolveScheduler(name: string): ResolvedScheduler {
  const key = nameKey(name);
  const direct = BY_NAME.get(key);
  if (direct) return { definition: direct, karras: false };
  if (key.endsWith(KARRAS_SUFFIX)) {
    const base = BY_NAME.get(key.slice(0, -KARRAS_SUFFIX.length));
    if (base?.supportsKarras) return { definition: base, karras: true };
  }
  throw new UnknownSchedulerError(name, validNames());
}

/**
 * The full sampler name as AUTOMATIC1111 writes it in the infotext ("DPM++ 2M Karras"), so that
 * resolving it again gives the same sampler and σ schedule. Karras σ counts when the name asked
 * for it or the model's scheduler_config sets use_karras_sigmas, for samplers that support it.
 */
export function samplerName(resolved: { readonly definition: SchedulerDefinition; readonly karras: boolean }, config?: NoiseScheduleConfig): string {
  const { definition } = resolved;
  const supportsKarras = SCHEDULERS.find((registered) => registered.id === definition.id)?.supportsKarras ?? false;
  const karras = config ? wantsKarras(config, resolved.karras) : resolved.karras;
  return supportsKarras && karras ? `${definition.label} Karras` : definition.label;
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
 * or a parsed NoiseScheduleConfig). DPMSolverMultistep picks 2M or 2M SDE by algorithm_type.
 * Throws UnknownSchedulerError for classes this farm has no port of.
 */
export function schedulerForModelDefault(config: NoiseScheduleConfig | Readonly<Record<string, unknown>>): RegisteredScheduler {
  const className = settingOf(config, '_class_name');
  if (typeof className !== 'string') throw new UnknownSchedulerError(String(className), SCHEDULERS.map((d) => d.diffusersClass));
  const algorithm = settingOf(config, 'algorithm_type');
  const candidates = SCHEDULERS.filter((definition) => definition.diffusersClass === className);
  const chosen =
    className === 'DPMSolverMultistepScheduler'
      ? candidates.find((d) => d.id === (typeof algorithm === 'string' && algorithm.startsWith('sde-') ? 'dpmpp-2m-sde' : 'dpmpp-2m'))
      : candidates[0];
  if (!chosen) throw new UnknownSchedulerError(className, [...new Set(SCHEDULERS.map((d) => d.diffusersClass))]);
  return chosen;
}
