import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { JobName, QueueName, trainsPipeline, TRAINING_JOB_VERSION, TrainingStatus, trainingRequestSchema, type TrainingJobPayload, type TrainingRecord } from '@atelier/contracts';
import { TrainingLifecycle } from '@atelier/lifecycle';
import { JobRuntime } from '@atelier/jobs';
import { CancelChannel, WorkerRegistry } from '@atelier/queue';
import { TrainingStore, toTrainingView, type TrainingView } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import { Scope, type Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { requireAccess } from '../common/require-access.js';
import { missingObject, ownedObjectKey } from '../common/tenant-objects.js';
import { parseBody } from '../common/zod-body.js';
import { RequestResolver } from '../generations/request-resolver.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import type { CancelOutcome } from '../generations/cancel-generation.js';
import { uploadKey } from './uploads.controller.js';

/** What the /v1/trainings routes do; the controller only maps it onto HTTP. */
@Injectable()
export class TrainingsService {
  private readonly queue: Queue;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JobRuntime) jobs: JobRuntime,
    @Inject(TrainingStore) private readonly trainings: TrainingStore,
    @Inject(WorkerRegistry) private readonly workers: WorkerRegistry,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(CancelChannel) private readonly cancelChannel: CancelChannel,
    @Inject(TrainingLifecycle) private readonly lifecycle: TrainingLifecycle,
    @Inject(RequestResolver) private readonly urlCheck: RequestResolver,
  ) {
    // Attempts cover worker loss: a new attempt resumes from the last checkpoint.
    // Its options (attempts that resume from the last checkpoint) are the job runtime's table's.
    this.queue = jobs.queue(QueueName.Training);
  }

  async create(principal: Principal, body: unknown): Promise<TrainingView> {
    const request = parseBody(trainingRequestSchema, body);
    if (request.webhook) {
      const problem = this.urlCheck.webhookProblem(request.webhook.url);
      if (problem) throw ApiError.field('webhook.url', problem);
    }
    // A DreamBooth or finetune result is a served pipeline, which every tenant can name (like an imported one).
    if (trainsPipeline(request) && !principal.scopes.includes(Scope.Admin)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'insufficient_scope', `${request.method} needs the admin scope: its result is a pipeline served to every tenant, like an imported one`);
    }
    if (trainsPipeline(request) && !this.config.env.MODELS_STORAGE_PREFIX) {
      throw ApiError.field('method', `${request.method} registers a new pipeline, which needs MODELS_STORAGE_PREFIX (workers serve imported pipelines from there)`);
    }
    const datasetProblem = request.dataset.startsWith('https://') ? this.urlCheck.downloadProblem(request.dataset) : undefined;
    if (datasetProblem) throw ApiError.field('dataset', datasetProblem);
    const trainers = (await this.workers.liveWorkers()).filter((worker) => worker.trains);
    if (trainers.length === 0) throw ApiError.field('base_model', 'no live worker takes training jobs (start one with WORKER_TRAINS=true)');
    if (!trainers.some((worker) => worker.models.includes(request.base_model))) {
      throw ApiError.field('base_model', `no training worker serves "${request.base_model}"; available: ${[...new Set(trainers.flatMap((worker) => worker.models))].join(', ')}`);
    }
    if (trainsPipeline(request) && request.output_name !== undefined && (await this.workers.liveWorkers()).some((worker) => worker.models.includes(request.output_name as string))) {
      throw ApiError.field('output_name', `"${request.output_name}" is already a served model`);
    }
    const datasetKey = await this.datasetKey(principal, request.dataset);
    const id = `trn_${randomUUID().replaceAll('-', '')}`;
    const createdAt = new Date().toISOString();
    await this.trainings.create({ id, tenant: principal.tenant, request, datasetKey, createdAt });
    const payload: TrainingJobPayload = { v: TRAINING_JOB_VERSION, trainingId: id, method: request.method, submittedAt: createdAt };
    await this.queue.add(JobName.TrainLora, payload, { jobId: id });
    return this.get(principal, id);
  }

  async get(principal: Principal, id: string): Promise<TrainingView> {
    return toTrainingView(await this.owned(principal, id), this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS);
  }

  /**
   * A queued training is canceled by its lifecycle owner (status and training.canceled in one
   * atomic step) and its job removed; a running one is flagged and its worker told.
   */
  async cancel(principal: Principal, id: string): Promise<{ outcome: CancelOutcome; view: TrainingView }> {
    const record = await this.owned(principal, id);
    if (TrainingStore.isTerminal(record.status) && record.status !== TrainingStatus.Canceled) {
      throw new ApiError(HttpStatus.CONFLICT, 'already_finished', `training ${id} already ${record.status}`);
    }
    let outcome: CancelOutcome = 'canceled';
    if (record.status === TrainingStatus.Queued && (await this.lifecycle.cancel(id))) {
      await this.queue.remove(id).catch(() => 0);
    } else if (record.status !== TrainingStatus.Canceled) {
      await this.trainings.requestCancel(id);
      await this.cancelChannel.requestCancel(id);
      outcome = 'requested';
    }
    return { outcome, view: await this.get(principal, id) };
  }

  /** Uploads by id, `s3://` objects only under the tenant's own prefix, anything else as given. */
  private async datasetKey(principal: Principal, dataset: string): Promise<string> {
    if (dataset.startsWith('upl_')) {
      const key = uploadKey(principal.tenant, dataset);
      if (!(await this.storage.exists(key))) throw ApiError.field('dataset', `upload ${dataset} has no data yet: PUT the zip to its upload_url first`);
      return key;
    }
    if (dataset.startsWith('s3://')) {
      const key = ownedObjectKey(dataset, principal, this.config.storage.driver === 's3' ? this.config.storage.bucket : undefined, 'dataset');
      if (!(await this.storage.exists(key))) throw missingObject(dataset, 'dataset');
      return key;
    }
    return dataset;
  }

  private async owned(principal: Principal, id: string): Promise<TrainingRecord> {
    return requireAccess(principal, await this.trainings.get(id), 'training', id);
  }
}
