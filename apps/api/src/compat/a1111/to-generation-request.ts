import { pipelineId, type GenerationRequestInput } from '@atelier/contracts';
import { resolveScheduler } from '@atelier/diffusion';
import type { ModelSummary } from '@atelier/queue';
import { ApiError, type FieldProblem } from '../../common/api-error.js';
import type { FieldNames } from '../field-names.js';
import { toControlNets } from './a1111-controlnet.js';
import { NEUTRAL_OVERRIDES } from './a1111-fields.js';
import type { A1111Kind, A1111Request } from './a1111-request.schema.js';

/** A1111's own API defaults where they differ from Atelier's. */
export const A1111_DEFAULTS = { steps: 50, cfg_scale: 7, denoising_strength: 0.75, mask_blur: 4 } as const;

/** Where native validation errors point back to in the A1111 body. */
export const A1111_FIELD_NAMES: FieldNames = {
  model: 'override_settings.sd_model_checkpoint',
  style: 'styles',
  samples: 'batch_size',
  scheduler: 'sampler_name',
  num_inference_steps: 'steps',
  guidance_scale: 'cfg_scale',
  strength: 'denoising_strength',
  img_width: 'width',
  img_height: 'height',
  init_image: 'init_images.0',
  mask_image: 'mask',
  refiner: 'refiner_checkpoint',
  high_noise_fraction: 'refiner_switch_at',
  face_restore: 'restore_faces',
  'face_restore.model': 'restore_faces',
  'face_restore.detector': 'restore_faces',
  'hires.scale': 'hr_scale',
  'hires.upscaler': 'hr_upscaler',
  'hires.steps': 'hr_second_pass_steps',
  'hires.strength': 'denoising_strength',
  'hires.width': 'hr_resize_x',
  'hires.height': 'hr_resize_y',
  hires: 'enable_hr',
};

/** A1111's latent upscaler names → the native hires upscaler (any other name is an upscaler model). */
const LATENT_UPSCALERS: Readonly<Record<string, 'latent' | 'latent-nearest'>> = {
  latent: 'latent',
  'latent (antialiased)': 'latent',
  'latent (bicubic)': 'latent',
  'latent (bicubic antialiased)': 'latent',
  'latent (nearest)': 'latent-nearest',
  'latent (nearest-exact)': 'latent-nearest',
};

/** enable_hr and its hr_* fields as the native `hires` (A1111's defaults: scale 2, Latent, strength 0.75). */
function hiresFor(body: A1111Request): Partial<GenerationRequestInput> {
  if (!body.enable_hr) return {};
  const upscaler = body.hr_upscaler ? (LATENT_UPSCALERS[body.hr_upscaler.trim().toLowerCase()] ?? body.hr_upscaler) : 'latent';
  return {
    hires: {
      scale: body.hr_scale ?? 2,
      upscaler,
      strength: body.denoising_strength ?? A1111_DEFAULTS.denoising_strength,
      steps: body.hr_second_pass_steps ?? 0,
      ...(body.hr_resize_x ? { width: body.hr_resize_x } : {}),
      ...(body.hr_resize_y ? { height: body.hr_resize_y } : {}),
    },
  };
}

/**
 * "v1-5-pruned.safetensors [6ce0161689]" → "v1-5-pruned": A1111 titles carry a file suffix and
 * hash; a catalog id "pipeline:<id>" names the model <id>.
 */
export function checkpointName(title: string): string {
  return pipelineId(title)
    .replace(/\s*\[[0-9a-f]+\]$/i, '')
    .replace(/\.(safetensors|ckpt|onnx)$/i, '')
    .trim();
}

export interface A1111Context {
  readonly models: ReadonlyMap<string, ModelSummary>;
  readonly defaultModel: string;
  readonly maxSamples: number;
}

/** The sampler name Atelier resolves, with A1111 ≥ 1.9's separate schedule type folded in. */
function samplerFor(body: A1111Request, model: ModelSummary | undefined, problems: FieldProblem[]): string | undefined {
  const sampler = body.sampler_name || body.sampler_index || undefined;
  const schedule = (body.scheduler ?? 'automatic').toLowerCase();
  if (schedule === 'automatic' || schedule === '') return sampler;
  if (schedule !== 'karras') {
    problems.push({ field: 'scheduler', message: `schedule type "${body.scheduler}" is not supported; use "Automatic" or "Karras"` });
    return sampler;
  }
  const base = sampler ?? model?.default_scheduler;
  if (!base) return sampler;
  if (/karras$/i.test(base.replace(/[\s_-]+/g, ''))) return base;
  try {
    resolveScheduler(base);
  } catch {
    return sampler; // an unknown sampler: the resolver names sampler_name and lists the valid ones
  }
  try {
    resolveScheduler(`${base} Karras`);
    return `${base} Karras`;
  } catch {
    problems.push({ field: 'scheduler', message: `sampler "${base}" has no Karras schedule; use "Automatic"` });
    return sampler;
  }
}

function modelFor(body: A1111Request, context: A1111Context, problems: FieldProblem[]): string {
  const overrides = body.override_settings ?? {};
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'sd_model_checkpoint') continue;
    if (!NEUTRAL_OVERRIDES[key]?.includes(value)) problems.push({ field: `override_settings.${key}`, message: 'this setting is not supported; only sd_model_checkpoint can be overridden' });
  }
  const checkpoint = overrides.sd_model_checkpoint;
  if (checkpoint === undefined || checkpoint === null || checkpoint === '') return context.defaultModel;
  const name = typeof checkpoint === 'string' ? checkpoint : '';
  const id = context.models.has(name) ? name : checkpointName(name);
  if (!context.models.has(id)) {
    problems.push({ field: 'override_settings.sd_model_checkpoint', message: `unknown model "${String(checkpoint)}"; GET /sdapi/v1/sd-models lists the served ones` });
  }
  return id;
}

function refinerFor(body: A1111Request, model: ModelSummary | undefined, problems: FieldProblem[]): Partial<GenerationRequestInput> {
  if (!body.refiner_checkpoint) return {};
  const wanted = checkpointName(body.refiner_checkpoint);
  if (!model?.refiner || wanted !== model.refiner) {
    const configured = model?.refiner ? `its configured refiner is "${model.refiner}"` : 'it has no refiner configured';
    problems.push({ field: 'refiner_checkpoint', message: `model ${model?.id ?? '?'} cannot be refined by "${wanted}": ${configured}` });
    return {};
  }
  return { refiner: true, ...(body.refiner_switch_at ? { high_noise_fraction: body.refiner_switch_at } : {}) };
}

function maskBlurFor(body: A1111Request, problems: FieldProblem[]): number {
  if (!body.mask) return 0;
  if (body.mask_blur !== undefined && body.mask_blur !== null) return body.mask_blur;
  const x = body.mask_blur_x ?? A1111_DEFAULTS.mask_blur;
  const y = body.mask_blur_y ?? A1111_DEFAULTS.mask_blur;
  if (x !== y) problems.push({ field: 'mask_blur_x', message: 'different horizontal and vertical mask blur is not supported; send mask_blur' });
  return x;
}

/**
 * The native request for an A1111 body. Everything the resolver cannot know about (model
 * titles, schedule types, style lists, refiner names, batch × iterations) is checked here, all
 * problems reported at once; the rest is validated by the native schema under A1111's names.
 */
export function toGenerationRequest(kind: A1111Kind, body: A1111Request, context: A1111Context): { request: GenerationRequestInput; fieldNames: FieldNames } {
  const problems: FieldProblem[] = [];
  const modelId = modelFor(body, context, problems);
  const model = context.models.get(modelId);
  const styles = body.styles ?? [];
  if (styles.length > 1) problems.push({ field: 'styles', message: 'at most one style preset per request (GET /v1/styles)' });
  const samples = (body.batch_size ?? 1) * (body.n_iter ?? 1);
  if (samples > context.maxSamples) problems.push({ field: 'batch_size', message: `batch_size × n_iter must be at most ${context.maxSamples}, got ${samples}` });
  if (!body.prompt) problems.push({ field: 'prompt', message: 'must not be empty' });
  const scheduler = samplerFor(body, model, problems);
  const refiner = refinerFor(body, model, problems);
  const maskBlur = kind === 'img2img' ? maskBlurFor(body, problems) : 0;
  const control = toControlNets(body.alwayson_scripts?.controlnet?.args ?? [], body, problems);
  if (problems.length > 0) throw ApiError.validation(problems);
  const request: GenerationRequestInput = {
    model: modelId,
    prompt: body.prompt ?? '',
    negative_prompt: body.negative_prompt ?? '',
    ...(styles.length === 1 ? { style: styles[0] } : {}),
    samples,
    ...(scheduler ? { scheduler } : {}),
    // A1111's own defaults, except for a distilled variant (Turbo, LCM, …) whose own settings are
    // the only ones it draws with: its detected defaults then fill what the body leaves out.
    num_inference_steps: body.steps ?? (model?.variant ? model.default_steps : A1111_DEFAULTS.steps),
    guidance_scale: body.cfg_scale ?? (model?.variant ? model.default_guidance_scale : A1111_DEFAULTS.cfg_scale),
    seed: body.seed ?? -1,
    ...(body.width ? { img_width: body.width } : {}),
    ...(body.height ? { img_height: body.height } : {}),
    ...(kind === 'img2img'
      ? {
          init_image: body.init_images?.[0],
          strength: body.denoising_strength ?? A1111_DEFAULTS.denoising_strength,
          ...(body.mask ? { mask_image: body.mask, mask_blur: maskBlur } : {}),
        }
      : {}),
    ...refiner,
    ...(kind === 'txt2img' ? hiresFor(body) : {}),
    // The first announced restorer and detector (the resolver picks them; none: 400 naming restore_faces).
    ...(body.restore_faces ? { face_restore: {} } : {}),
    ...control.request,
    output_format: 'png',
  };
  return { request, fieldNames: { ...A1111_FIELD_NAMES, ...control.fieldNames } };
}

