import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import type { GenerationRequest, ResolvedGeneration } from '#libs/contracts/src/index.js';
import { resolveScheduler } from '#libs/diffusion/src/schedulers/index.js';
import { randomSeed } from '#libs/diffusion/src/random/index.js';
import { applyStyle, extractLoraTags } from '#libs/diffusion/src/text/index.js';
import type { ModelSummary } from '#libs/queue/src/index.js';
import { checkOutboundUrl, farmPolicies, OutboundError, type FarmPolicies, type OutboundPolicy } from '#libs/outbound/src/index.js';
import { AdapterRegistry } from '#libs/registry/src/index.js';
import { ApiError, type FieldProblem } from '../common/api-error.js';
import { FarmCatalog } from '../routing/farm-catalog.js';

export interface ResolvedSubmission {
  readonly request: ResolvedGeneration;
  readonly warnings: string[];
}

/**
 * Turns a validated body into what a worker runs: model defaults applied, names checked against
 * the farm's catalog (what its worker classes announced, live workers or not), seed drawn.
 * Everything a worker could reject for is rejected here first.
 */
/** The outbound rule a URL breaks, by the error's own code-carrying class, or undefined. */
function urlProblem(url: string, policy: OutboundPolicy): string | undefined {
  try {
    checkOutboundUrl(url, policy);
    return undefined;
  } catch (error) {
    if (error instanceof OutboundError) return error.message;
    throw error;
  }
}

@Injectable()
export class RequestResolver {
  private readonly policies: FarmPolicies;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FarmCatalog) private readonly farm: FarmCatalog,
    @Inject(AdapterRegistry) private readonly adapters: AdapterRegistry,
  ) {
    this.policies = farmPolicies(config.env);
  }

  /**
   * LoRA names some known worker class can apply for `tenant` (also at zero live workers): public
   * ones (workers' loras/ folders, public registry entries) and the tenant's own private ones,
   * which workers report as `<tenant>/<name>` and resolve before public ones. Other tenants'
   * private names are as unknown as missing ones.
   */
  async loras(tenant: string): Promise<string[]> {
    const own = `${tenant}/`;
    const names = (await this.farm.snapshot()).classes.flatMap((record) => record.loras);
    return [...new Set(names.flatMap((name) => (name.startsWith(own) ? [name.slice(own.length)] : name.includes('/') ? [] : [name])))];
  }

  /**
   * Models some known worker class serves, whether or not one of its workers is live now. The
   * snapshot is cached for a second; when a requested model is missing from it, it is read fresh
   * once (a worker may have announced it since).
   */
  async catalog(wanted: ReadonlyArray<string | undefined> = []): Promise<Map<string, ModelSummary>> {
    const ids = wanted.map((id) => id ?? this.config.env.DEFAULT_MODEL);
    let models = (await this.farm.snapshot()).models;
    if (ids.some((id) => !models.has(id))) {
      this.farm.invalidate();
      models = (await this.farm.snapshot()).models;
    }
    return new Map(models);
  }

  /** Why a webhook URL cannot be used (SSRF rules), or undefined. */
  webhookProblem(url: string): string | undefined {
    return urlProblem(url, this.policies.webhooks);
  }

  /** Why a dataset/import URL cannot be fetched (outbound rules that need no DNS), or undefined. */
  downloadProblem(url: string): string | undefined {
    return urlProblem(url, this.policies.downloads);
  }

  resolve(body: GenerationRequest, models: Map<string, ModelSummary>, fieldPrefix = '', liveLoras: readonly string[] = []): ResolvedSubmission {
    const problems: FieldProblem[] = [];
    const field = (name: string): string => `${fieldPrefix}${name}`;
    const warnings: string[] = [];
    const modelId = body.model ?? this.config.env.DEFAULT_MODEL;
    const model = models.get(modelId);
    if (!model) {
      const known = [...models.keys()];
      throw ApiError.field(field('model'), `unknown model "${modelId}"; available: ${known.length ? known.join(', ') : 'none (no worker has registered yet)'}`);
    }
    if (body.scheduler !== undefined) {
      try {
        resolveScheduler(body.scheduler);
      } catch (error) {
        problems.push({ field: field('scheduler'), message: (error as Error).message });
      }
    }
    try {
      applyStyle(body.style, body.prompt, body.negative_prompt);
    } catch (error) {
      problems.push({ field: field('style'), message: (error as Error).message });
    }
    const availableLoras = new Set(liveLoras);
    const requestedLoras = new Map(body.loras.map((lora) => [lora.name, lora.weight]));
    body.loras.forEach((lora, index) => {
      if (!availableLoras.has(lora.name)) problems.push({ field: field(`loras.${index}.name`), message: `LoRA "${lora.name}" is not available on any worker class` });
    });
    for (const name of ['prompt', 'negative_prompt'] as const) {
      try {
        const { loras } = extractLoraTags(body[name]);
        for (const lora of loras) {
          if (!availableLoras.has(lora.name)) problems.push({ field: field(name), message: `<lora:${lora.name}:${lora.weight}>: LoRA "${lora.name}" is not available on any worker class` });
          else requestedLoras.set(lora.name, lora.weight);
        }
      } catch (error) {
        problems.push({ field: field(name), message: (error as Error).message });
      }
    }
    const width = body.img_width ?? model.default_width;
    const height = body.img_height ?? model.default_height;
    for (const [name, value] of [['img_width', width], ['img_height', height]] as const) {
      if (value % model.size_multiple !== 0) problems.push({ field: field(name), message: `must be a multiple of ${model.size_multiple} for model ${model.id}` });
    }
    const canvasWidth = width + (body.outpaint ? body.outpaint.left + body.outpaint.right : 0);
    const canvasHeight = height + (body.outpaint ? body.outpaint.top + body.outpaint.bottom : 0);
    if (canvasWidth * canvasHeight > this.config.env.MAX_PIXELS) {
      const what = body.outpaint ? 'the outpainted canvas' : 'img_width × img_height';
      problems.push({ field: field(body.outpaint ? 'outpaint' : 'img_width'), message: `${what} must not exceed ${this.config.env.MAX_PIXELS} pixels` });
    }
    if (body.refiner && !model.refiner) problems.push({ field: field('refiner'), message: `model ${model.id} has no refiner configured` });
    if (body.refiner && model.refiner && !models.has(model.refiner)) {
      problems.push({ field: field('refiner'), message: `refiner model ${model.refiner} of ${model.id} is not served by any worker class` });
    }
    if (body.webhook) {
      const problem = this.webhookProblem(body.webhook.url);
      if (problem) problems.push({ field: field('webhook.url'), message: problem });
    }
    if (problems.length > 0) throw ApiError.validation(problems);

    if (!body.init_image && body.strength !== 0.8) warnings.push('strength applies to img2img only (no init_image given); the full schedule runs');
    if (!body.refiner && body.high_noise_fraction !== 0.8) warnings.push('high_noise_fraction applies only with refiner: true');
    const seed = body.seed === -1 ? randomSeed() : body.seed;
    return {
      warnings,
      request: {
        model: model.id,
        prompt: body.prompt,
        negative_prompt: body.negative_prompt,
        style: body.style,
        samples: body.samples,
        scheduler: body.scheduler,
        num_inference_steps: body.num_inference_steps,
        guidance_scale: body.guidance_scale,
        strength: body.strength,
        high_noise_fraction: body.high_noise_fraction,
        seed,
        width,
        height,
        refiner: body.refiner,
        loras: [...requestedLoras].map(([name, weight]) => ({ name, weight })),
        base64: body.base64,
        init_image: body.init_image,
        mask_image: body.mask_image,
        mask_blur: body.mask_blur,
        outpaint: body.outpaint,
        output_format: body.output_format,
        output_quality: body.output_quality,
        webhook: body.webhook,
      },
    };
  }
}
