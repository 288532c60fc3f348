import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { GenerationStatus, QueueName, preprocessRequestSchema, type ImageTaskKind, type ImageTaskRecord } from '@atelier/contracts';
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
import { resolvePreprocess } from './resolve-preprocess.js';
import { SubmitImageTask } from './submit-image-task.js';

/** What the image task routes do (POST /v1/preprocess, GET/cancel /v1/tasks/{id} and the per-kind aliases). */
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
  ) {}

  /** POST /v1/preprocess: validate → resolve (defaults, model, class) → source image rules → record + enqueue. */
  async preprocess(principal: Principal, body: unknown): Promise<ImageTaskView> {
    const request = parseBody(preprocessRequestSchema, body);
    let snapshot = await this.farm.snapshot();
    const context = () => ({
      classes: snapshot.classes,
      liveClasses: new Set(snapshot.live.filter((worker) => !worker.draining).map((worker) => worker.worker_class)),
      tenant: principal.tenant,
      webhookProblem: (url: string) => this.urls.webhookProblem(url),
      maxPixels: this.config.env.MAX_PIXELS,
    });
    let resolved;
    try {
      resolved = resolvePreprocess(request, context());
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // The cached announcements may predate a worker that just started or just got the model.
      this.farm.invalidate();
      snapshot = await this.farm.snapshot();
      resolved = resolvePreprocess(request, context());
    }
    await this.sourceImages.checkSource(resolved.request.image, 'image');
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
