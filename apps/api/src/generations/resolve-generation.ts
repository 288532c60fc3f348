import { extractLoraTags, LORA_ID_PREFIX, LoraTagError, loraName, pipelineId, resolvePromptText, RESOLVED_GENERATION_VERSION, UnknownStyleError, applyStyle, type GenerationRequest, type ResolvedGeneration } from '@atelier/contracts';
import { resolveScheduler, UnknownSchedulerError } from '@atelier/diffusion';
import type { ModelSummary, OnnxRequirement } from '@atelier/queue';
import { ApiError, type FieldProblem } from '../common/api-error.js';
import { resolveChainedSteps, type ChainedStepContext } from './resolve-chained-steps.js';
import { resolveControlNets, type OnnxModelContext } from './resolve-controlnets.js';
import { resolveIpAdapter } from './resolve-ip-adapter.js';

export interface ResolvedSubmission {
  readonly request: ResolvedGeneration;
  readonly warnings: string[];
}

/** What resolution reads besides the body; plain data, so the rules are testable without a farm. */
export interface ResolutionContext extends OnnxModelContext, ChainedStepContext {
  /** Models some known worker class serves. */
  readonly models: ReadonlyMap<string, ModelSummary>;
  /** LoRA names this tenant may use (public ones and its own private ones). */
  readonly loras: ReadonlySet<string>;
  readonly defaultModel: string;
  /** Why a webhook URL cannot be used, or undefined. */
  readonly webhookProblem: (url: string) => string | undefined;
  readonly randomSeed: () => number;
}

/** Runs a check whose refusal is a code-carrying error class; its message becomes the field's problem. */
function check(problems: FieldProblem[], field: string, run: () => void, refusal: new (...args: never[]) => Error): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof refusal)) throw error;
    problems.push({ field, message: error.message });
  }
}

/**
 * A validated body as the complete job a worker runs: model and size defaults fixed, style
 * applied and `<lora:…>` tags taken out of the prompt text, the LoRA list complete and checked
 * against what this tenant may use, seed drawn. Every problem is reported at once, each naming
 * its field under `fieldPrefix` (`requests.3.`).
 */
export function resolveGeneration(body: GenerationRequest, context: ResolutionContext, fieldPrefix = ''): ResolvedSubmission {
  const problems: FieldProblem[] = [];
  const field = (name: string): string => `${fieldPrefix}${name}`;
  const modelId = pipelineId(body.model ?? context.defaultModel);
  const model = context.models.get(modelId);
  if (!model) {
    const known = [...context.models.keys()];
    if (modelId.startsWith(LORA_ID_PREFIX)) {
      throw ApiError.field(field('model'), `"${modelId}" is a LoRA, not a model: name it in loras (or as a <lora:${loraName(modelId)}:1> prompt tag) and choose a base model here`);
    }
    throw ApiError.field(field('model'), `unknown model "${modelId}"; available: ${known.length ? known.join(', ') : 'none (no worker has registered yet)'}`);
  }
  const scheduler = body.scheduler;
  if (scheduler !== undefined) check(problems, field('scheduler'), () => resolveScheduler(scheduler), UnknownSchedulerError);
  check(problems, field('style'), () => applyStyle(body.style, body.prompt, body.negative_prompt), UnknownStyleError);
  body.loras.forEach((lora, index) => {
    // A registry id (`lora:<name>`, what a finished training reports as model_id) names the LoRA <name>.
    if (!context.loras.has(loraName(lora.name))) problems.push({ field: field(`loras.${index}.name`), message: `LoRA "${lora.name}" is not available on any worker class` });
  });
  for (const name of ['prompt', 'negative_prompt'] as const) {
    check(
      problems,
      field(name),
      () => {
        for (const lora of extractLoraTags(body[name]).loras) {
          if (!context.loras.has(lora.name)) problems.push({ field: field(name), message: `<lora:${lora.name}:${lora.weight}>: LoRA "${lora.name}" is not available on any worker class` });
        }
      },
      LoraTagError,
    );
  }
  const width = body.img_width ?? model.default_width;
  const height = body.img_height ?? model.default_height;
  for (const [name, value] of [['img_width', width], ['img_height', height]] as const) {
    if (value % model.size_multiple !== 0) problems.push({ field: field(name), message: `must be a multiple of ${model.size_multiple} for model ${model.id}` });
  }
  const canvasWidth = width + (body.outpaint ? body.outpaint.left + body.outpaint.right : 0);
  const canvasHeight = height + (body.outpaint ? body.outpaint.top + body.outpaint.bottom : 0);
  if (canvasWidth * canvasHeight > context.maxPixels) {
    const what = body.outpaint ? 'the outpainted canvas' : 'img_width × img_height';
    problems.push({ field: field(body.outpaint ? 'outpaint' : 'img_width'), message: `${what} must not exceed ${context.maxPixels} pixels` });
  }
  if (body.refiner && !model.refiner) problems.push({ field: field('refiner'), message: `model ${model.id} has no refiner configured` });
  if (body.refiner && model.refiner && !context.models.has(model.refiner)) {
    problems.push({ field: field('refiner'), message: `refiner model ${model.refiner} of ${model.id} is not served by any worker class` });
  }
  const onnxModels: OnnxRequirement[] = [];
  const controlnets = resolveControlNets(body, model, context, field, problems, onnxModels);
  const ipAdapter = resolveIpAdapter(body, model, context, field, problems, onnxModels);
  const steps = body.num_inference_steps ?? model.default_steps;
  const { onnx_models: chainedModels = [], ...chained } = resolveChainedSteps(body, { width, height, steps }, context, field, problems);
  // One routing requirement: the ControlNets, their preprocessor models, the IP-Adapter and the chained steps' models.
  const requiredModels = [...new Map([...onnxModels, ...chainedModels].map((required) => [`${required.kind}:${required.name}`, required])).values()];
  if (body.webhook) {
    const problem = context.webhookProblem(body.webhook.url);
    if (problem) problems.push({ field: field('webhook.url'), message: problem });
  }
  if (problems.length > 0) throw ApiError.validation(problems);

  const warnings: string[] = [];
  if (!body.init_image && body.strength !== 0.8) warnings.push('strength applies to img2img only (no init_image given); the full schedule runs');
  if (!body.refiner && body.high_noise_fraction !== 0.8) warnings.push('high_noise_fraction applies only with refiner: true');
  // Cannot throw: the style and every tag were checked above.
  const { styled, conditioning, loras } = resolvePromptText(body);
  return {
    warnings,
    request: {
      v: RESOLVED_GENERATION_VERSION,
      model: model.id,
      prompt: body.prompt,
      negative_prompt: body.negative_prompt,
      style: body.style,
      styled,
      conditioning,
      samples: body.samples,
      scheduler: body.scheduler,
      // The request's values win; else the model's (its variant's recommended settings).
      num_inference_steps: steps,
      guidance_scale: body.guidance_scale ?? model.default_guidance_scale,
      strength: body.strength,
      high_noise_fraction: body.high_noise_fraction,
      seed: body.seed === -1 ? context.randomSeed() : body.seed,
      width,
      height,
      refiner: body.refiner,
      loras,
      base64: body.base64,
      init_image: body.init_image,
      mask_image: body.mask_image,
      mask_blur: body.mask_blur,
      outpaint: body.outpaint,
      ...(controlnets ? { controlnets, guess_mode: body.guess_mode } : {}),
      ...(ipAdapter ? { ip_adapter: ipAdapter } : {}),
      ...chained,
      ...(requiredModels.length > 0 ? { onnx_models: requiredModels } : {}),
      output_format: body.output_format,
      output_quality: body.output_quality,
      webhook: body.webhook,
    },
  };
}

/**
 * LoRA names some known worker class can apply for `tenant` (also at zero live workers): public
 * ones (workers' loras/ folders, public registry entries) and the tenant's own private ones,
 * which workers report as `<tenant>/<name>` and resolve before public ones. Other tenants'
 * private names are as unknown as missing ones.
 */
export function lorasForTenant(announced: readonly string[], tenant: string): Set<string> {
  const own = `${tenant}/`;
  return new Set(announced.flatMap((name) => (name.startsWith(own) ? [name.slice(own.length)] : name.includes('/') ? [] : [name])));
}
