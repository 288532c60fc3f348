import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import {
  GenerationStatus,
  QueueName,
  faceRestoreRequestSchema,
  preprocessRequestSchema,
  segmentRequestSchema,
  upscaleRequestSchema,
  type ImageTaskKind,
  type ImageTaskRecord,
  type ResolvedImageTask,
} from '@atelier/contracts';
import { JobRuntime } from '@atelier/jobs';
import { ImageTaskLifecycle } from '@atelier/lifecycle';
import { CancelChannel } from '@atelier/queue';
import { ImageTaskStore, toImageTaskView, type ImageTaskView } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { requireAccess } from '../common/require-access.js';
import { parseBody } from '../common/zod-body.js';
import type { CancelOutcome } from '../generations/cancel-generation.js';
import { InlineImageValidator } from '../generations/inline-image-validator.js';
import { RequestResolver } from '../generations/request-resolver.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { FarmCatalog } from '../routing/farm-catalog.js';
import { ImageSourceResolver } from './image-source-resolver.js';
import type { ImageTaskContext } from './image-task-routing.js';
import { resolveFaceRestore } from './resolve-face-restore.js';
import { resolvePreprocess } from './resolve-preprocess.js';
import { resolveSegment } from './resolve-segment.js';
import { resolveUpscale } from './resolve-upscale.js';
import { SubmitImageTask } from './submit-image-task.js';

/** What the image task routes do (POST /v1/preprocess, /v1/upscales, /v1/face-restorations, /v1/segmentations, GET/cancel /v1/tasks/{id} and the per-kind aliases). */
@Injectable()
export class ImageTasksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JobRuntime) private readonly jobs: JobRuntime,
    @Inject(ImageTaskStore) private readonly tasks: ImageTaskStore,
    @Inject(ImageTaskLifecycle) private readonly lifecycle: ImageTaskLifecycle,
    @Inject(CancelChannel) private readonly cancelChannel: CancelChannel,
    @Inject(FarmCatalog) private readonly farm: FarmCatalog,
    @Inject(RequestResolver) private readonly urls: RequestResolver,
    @Inject(InlineImageValidator) private readonly sourceImages: InlineImageValidator,
    @Inject(SubmitImageTask) private readonly submitter: SubmitImageTask,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(ImageSourceResolver) private readonly sources: ImageSourceResolver,
  ) {}

  /** POST /v1/preprocess: validate → resolve (defaults, model, class) → source image rules → record + enqueue. */
  async preprocess(principal: Principal, body: unknown): Promise<ImageTaskView> {
    const request = parseBody(preprocessRequestSchema, body);
    const resolved = await this.withFarm(principal, (context) => resolvePreprocess(request, context));
    await this.sourceImages.checkSource(resolved.request.image, 'image');
    return this.submit(principal, resolved);
  }

  /** POST /v1/upscales: validate → source (image rules or the tenant's own generation output) → model, scale, pixels, class. */
  async upscale(principal: Principal, body: unknown): Promise<ImageTaskView> {
    const request = parseBody(upscaleRequestSchema, body);
    const checked = await this.sources.resolve(principal, request);
    const maxUpscalePixels = this.config.env.MAX_UPSCALE_PIXELS;
    return this.submit(principal, await this.withFarm(principal, (context) => resolveUpscale(request, checked, { ...context, maxUpscalePixels })));
  }

  /** POST /v1/face-restorations. */
  async faceRestore(principal: Principal, body: unknown): Promise<ImageTaskView> {
    const request = parseBody(faceRestoreRequestSchema, body);
    const checked = await this.sources.resolve(principal, request);
    return this.submit(principal, await this.withFarm(principal, (context) => resolveFaceRestore(request, checked.source, context)));
  }

  /** POST /v1/segmentations. */
  async segment(principal: Principal, body: unknown): Promise<ImageTaskView> {
    const request = parseBody(segmentRequestSchema, body);
    const checked = await this.sources.resolve(principal, request);
    return this.submit(principal, await this.withFarm(principal, (context) => resolveSegment(request, checked, context)));
  }

  /**
   * Resolves against the farm's announcements; a refusal is retried once on fresh ones, since the
   * cached announcements may predate a worker that just started or just got the model.
   */
  private async withFarm<R>(principal: Principal, resolve: (context: ImageTaskContext) => R): Promise<R> {
    const context = async (): Promise<ImageTaskContext> => {
      const snapshot = await this.farm.snapshot();
      return {
        classes: snapshot.classes,
        liveClasses: new Set(snapshot.live.filter((worker) => !worker.draining).map((worker) => worker.worker_class)),
        tenant: principal.tenant,
        webhookProblem: (url: string) => this.urls.webhookProblem(url),
        maxPixels: this.config.env.MAX_PIXELS,
      };
    };
    try {
      return resolve(await context());
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.farm.invalidate();
      return resolve(await context());
    }
  }

  private async submit(principal: Principal, resolved: { request: ResolvedImageTask; queue: string }): Promise<ImageTaskView> {
    return this.view(await this.submitter.submit(principal, resolved.request, resolved.queue));
  }

  /** `kind` for the per-kind aliases: another kind's task answers like a missing one. */
  async get(principal: Principal, id: string, kind?: ImageTaskKind): Promise<ImageTaskView> {
    return this.view(await this.owned(principal, id, kind));
  }

  /**
   * A queued task is canceled by its lifecycle owner (status and `<kind>.canceled` in one atomic
   * step) and its job removed; a running one is flagged and its worker told, and the worker's
   * lifecycle call records the cancel.
   */
  async cancel(principal: Principal, id: string, kind?: ImageTaskKind): Promise<{ outcome: CancelOutcome; view: ImageTaskView }> {
    const record = await this.owned(principal, id, kind);
    if (record.status === GenerationStatus.Succeeded || record.status === GenerationStatus.Failed) {
      throw new ApiError(HttpStatus.CONFLICT, 'already_finished', `task ${id} already ${record.status}`);
    }
    let outcome: CancelOutcome = 'canceled';
    const task = { id, kind: record.kind, tenant: record.tenant };
    if (record.status === GenerationStatus.Queued && (await this.lifecycle.cancel(task, [GenerationStatus.Queued], new Date())).applied) {
      // A job a worker locked meanwhile cannot be removed; that worker sees the status and skips it.
      await this.jobs
        .queue(QueueName.ImageTask, record.queue)
        .remove(id)
        .catch(() => 0);
    } else if (record.status !== GenerationStatus.Canceled) {
      await this.tasks.requestCancel(id);
      await this.cancelChannel.requestCancel(id);
      outcome = 'requested';
    }
    return { outcome, view: await this.get(principal, id, kind) };
  }

  async owned(principal: Principal, id: string, kind?: ImageTaskKind): Promise<ImageTaskRecord> {
    const record = await this.tasks.get(id);
    return requireAccess(principal, record && (kind === undefined || record.kind === kind) ? record : undefined, 'task', id);
  }

  private view(record: ImageTaskRecord): Promise<ImageTaskView> {
    return toImageTaskView(record, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS);
  }
}
