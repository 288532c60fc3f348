import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { HIRES_LATENT_UPSCALERS, type BatchRequest, type GenerationRequest, type WebhookTarget } from '@atelier/contracts';
import { randomSeed } from '@atelier/diffusion';
import type { ModelSummary } from '@atelier/queue';
import { checkOutboundUrl, farmPolicies, OutboundError, type FarmPolicies, type OutboundPolicy } from '@atelier/outbound';
import type { OnnxModelKind } from '@atelier/registry';
import type { Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { FarmCatalog } from '../routing/farm-catalog.js';
import { InlineImageValidator } from './inline-image-validator.js';
import { findAvailableOnnxModel, onnxModelsForTenant, type AvailableOnnxModel } from './onnx-model-availability.js';
import { lorasForTenant, resolveGeneration, type ResolutionContext, type ResolvedSubmission } from './resolve-generation.js';

export type { ResolvedSubmission } from './resolve-generation.js';

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

/** The registry ONNX models a request names for its chained steps (defaults are picked later). */
function namedOnnxModels(body: GenerationRequest): Array<[OnnxModelKind, string]> {
  const named: Array<[OnnxModelKind, string | undefined]> = [
    ['upscaler', body.upscale?.model],
    ['face_restorer', body.face_restore?.model],
    ['face_detector', body.face_restore?.detector],
    ['segmenter', body.mask_prompt?.model],
    ['upscaler', body.hires && !(HIRES_LATENT_UPSCALERS as readonly string[]).includes(body.hires.upscaler) ? body.hires.upscaler : undefined],
  ];
  return named.flatMap(([kind, name]) => (name === undefined ? [] : [[kind, name] as [OnnxModelKind, string]]));
}

/**
 * The one resolver of generation requests, whatever the entry point (POST /v1/generations, a
 * batch item, OpenAI Images, A1111 txt2img/img2img): a validated body becomes the complete job a
 * worker runs (resolveGeneration), checked against the farm's catalog (what its worker classes
 * announced, live workers or not) and against what the caller's tenant may use: LoRA names
 * (public and its own private ones) and source images (inline limits, outbound URL rules).
 * Everything a worker could reject for is rejected here first.
 */
@Injectable()
export class RequestResolver {
  private readonly policies: FarmPolicies;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FarmCatalog) private readonly farm: FarmCatalog,
    @Inject(InlineImageValidator) private readonly sourceImages: InlineImageValidator,
  ) {
    this.policies = farmPolicies(config.env);
  }

  /** One request, e.g. POST /v1/generations or a translated OpenAI/A1111 body. */
  async resolve(principal: Principal, body: GenerationRequest): Promise<ResolvedSubmission> {
    const [submission] = await this.resolveAll(principal, [body], () => '');
    return submission as ResolvedSubmission;
  }

  /** A batch: every item resolved against one catalog read; errors name `requests.<i>.<field>`. */
  async resolveBatch(principal: Principal, batch: BatchRequest): Promise<{ submissions: ResolvedSubmission[]; webhook: WebhookTarget | undefined }> {
    const problem = batch.webhook ? this.webhookProblem(batch.webhook.url) : undefined;
    if (problem) throw ApiError.field('webhook.url', problem);
    return { submissions: await this.resolveAll(principal, batch.requests, (index) => `requests.${index}.`), webhook: batch.webhook };
  }

  private async resolveAll(principal: Principal, bodies: readonly GenerationRequest[], prefix: (index: number) => string): Promise<ResolvedSubmission[]> {
    let snapshot = await this.snapshot(bodies.map((body) => body.model));
    // A ControlNet, IP-Adapter or chained step's model imported a moment ago may be newer than the cached catalog: read it fresh once.
    const named = bodies.flatMap((body) => [
      ...(body.controlnets ?? []).map((unit) => ['controlnet', unit.model] as [OnnxModelKind, string]),
      ...(body.ip_adapter ? [['ip_adapter', body.ip_adapter.model] as [OnnxModelKind, string]] : []),
      ...namedOnnxModels(body),
    ]);
    if (named.some(([kind, name]) => !findAvailableOnnxModel(snapshot.classes, kind, name, principal.tenant))) {
      this.farm.invalidate();
      snapshot = await this.farm.snapshot();
    }
    const context: ResolutionContext = {
      models: snapshot.models,
      loras: lorasForTenant(snapshot.classes.flatMap((record) => record.loras), principal.tenant),
      onnxModel: (kind, name) => findAvailableOnnxModel(snapshot.classes, kind, name, principal.tenant),
      onnxNames: (kind) => [...onnxModelsForTenant(snapshot.classes, kind, principal.tenant).keys()].sort(),
      defaultModel: this.config.env.DEFAULT_MODEL,
      maxPixels: this.config.env.MAX_PIXELS,
      maxUpscalePixels: this.config.env.MAX_UPSCALE_PIXELS,
      onnxModels: (kind) => onnxModelsForTenant(snapshot.classes, kind, principal.tenant),
      webhookProblem: (url) => this.webhookProblem(url),
      randomSeed,
    };
    const submissions = bodies.map((body, index) => resolveGeneration(body, context, prefix(index)));
    for (const [index, submission] of submissions.entries()) await this.sourceImages.check(submission.request, prefix(index));
    return submissions;
  }

  /**
   * Models some known worker class serves, whether or not one of its workers is live now. The
   * snapshot is cached for a second; when a requested model is missing from it, it is read fresh
   * once (a worker may have announced it since).
   */
  async catalog(wanted: ReadonlyArray<string | undefined> = []): Promise<Map<string, ModelSummary>> {
    return new Map((await this.snapshot(wanted)).models);
  }

  private async snapshot(wanted: ReadonlyArray<string | undefined>): Promise<Awaited<ReturnType<FarmCatalog['snapshot']>>> {
    const ids = wanted.map((id) => id ?? this.config.env.DEFAULT_MODEL);
    const snapshot = await this.farm.snapshot();
    if (ids.every((id) => snapshot.models.has(id))) return snapshot;
    this.farm.invalidate();
    return this.farm.snapshot();
  }

  /**
   * The ONNX model (a ControlNet, preprocessor, upscaler…) `kind`/`name` as the caller's tenant
   * can use it: which worker classes have it and, for a ControlNet, its family; undefined when no
   * known class has it (read fresh once: a worker may have synced it since).
   */
  async onnxModel(principal: Principal, kind: OnnxModelKind, name: string): Promise<AvailableOnnxModel | undefined> {
    const found = findAvailableOnnxModel((await this.farm.snapshot()).classes, kind, name, principal.tenant);
    if (found) return found;
    this.farm.invalidate();
    return findAvailableOnnxModel((await this.farm.snapshot()).classes, kind, name, principal.tenant);
  }

  /** Why a webhook URL cannot be used (SSRF rules), or undefined. */
  webhookProblem(url: string): string | undefined {
    return urlProblem(url, this.policies.webhooks);
  }

  /** Why a dataset/import URL cannot be fetched (outbound rules that need no DNS), or undefined. */
  downloadProblem(url: string): string | undefined {
    return urlProblem(url, this.policies.downloads);
  }
}
