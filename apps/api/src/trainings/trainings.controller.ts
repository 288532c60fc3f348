import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Res } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { JobName, QueueName, TrainingStatus, trainingRequestSchema, type TrainingJobPayload, type TrainingRecord } from '#libs/contracts/src/index.js';
import { JobRuntime } from '#libs/jobs/src/index.js';
import { TrainingLifecycle } from '#libs/lifecycle/src/index.js';
import { CancelChannel, WorkerRegistry } from '#libs/queue/src/index.js';
import { TrainingStore, toTrainingView, type TrainingView } from '#libs/records/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { Scope, type Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { ApiError } from '../common/api-error.js';
import { missingObject, ownedObjectKey } from '../common/tenant-objects.js';
import { parseBody } from '../common/zod-body.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { RequestResolver } from '../generations/request-resolver.js';
import { uploadKey } from './uploads.controller.js';

/** LoRA trainings: their own queue, taken only by workers that declare they train. */
@Controller('v1/trainings')
@RequireScope(Scope.Train)
export class TrainingsController {
  private readonly queue: Queue;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JobRuntime) jobs: JobRuntime,
    @Inject(TrainingStore) private readonly trainings: TrainingStore,
    @Inject(WorkerRegistry) private readonly workers: WorkerRegistry,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(CancelChannel) private readonly cancelChannel: CancelChannel,
    @Inject(TrainingLifecycle) private readonly lifecycle: TrainingLifecycle,
    @Inject(RequestResolver) private readonly webhookCheck: RequestResolver,
  ) {
    // Its options (attempts that resume from the last checkpoint) are the job runtime's table's.
    this.queue = jobs.queue(QueueName.Training);
  }

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<TrainingView> {
    const request = parseBody(trainingRequestSchema, body);
    if (request.webhook) {
      const problem = this.webhookCheck.webhookProblem(request.webhook.url);
      if (problem) throw ApiError.field('webhook.url', problem);
    }
    const datasetProblem = request.dataset.startsWith('https://') ? this.webhookCheck.downloadProblem(request.dataset) : undefined;
    if (datasetProblem) throw ApiError.field('dataset', datasetProblem);
    const trainers = (await this.workers.liveWorkers()).filter((worker) => worker.trains);
    if (trainers.length === 0) throw ApiError.field('base_model', 'no live worker takes training jobs (start one with WORKER_TRAINS=true)');
    if (!trainers.some((worker) => worker.models.includes(request.base_model))) {
      throw ApiError.field('base_model', `no training worker serves "${request.base_model}"; available: ${[...new Set(trainers.flatMap((worker) => worker.models))].join(', ')}`);
    }
    let datasetKey: string;
    if (request.dataset.startsWith('upl_')) {
      datasetKey = uploadKey(principal.tenant, request.dataset);
      if (!(await this.storage.exists(datasetKey))) throw ApiError.field('dataset', `upload ${request.dataset} has no data yet: PUT the zip to its upload_url first`);
    } else if (request.dataset.startsWith('s3://')) {
      datasetKey = ownedObjectKey(request.dataset, principal, this.config.storage.driver === 's3' ? this.config.storage.bucket : undefined, 'dataset');
      if (!(await this.storage.exists(datasetKey))) throw missingObject(request.dataset, 'dataset');
    } else {
      datasetKey = request.dataset;
    }
    const id = `trn_${randomUUID().replaceAll('-', '')}`;
    const createdAt = new Date().toISOString();
    await this.trainings.create({ id, tenant: principal.tenant, request, datasetKey, createdAt });
    const payload: TrainingJobPayload = { v: 1, trainingId: id, submittedAt: createdAt };
    await this.queue.add(JobName.TrainLora, payload, { jobId: id });
    response.setHeader('Location', `/v1/trainings/${id}`);
    return this.view(principal, id);
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TrainingView> {
    return this.view(principal, id);
  }

  @Post(':id/cancel')
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<TrainingView> {
    const record = await this.owned(principal, id);
    if (TrainingStore.isTerminal(record.status) && record.status !== TrainingStatus.Canceled) {
      throw new ApiError(HttpStatus.CONFLICT, 'already_finished', `training ${id} already ${record.status}`);
    }
    // training.canceled is recorded in the same atomic step as the status.
    if (record.status === TrainingStatus.Queued && (await this.lifecycle.cancel(id))) {
      await this.queue.remove(id).catch(() => 0);
      response.status(HttpStatus.OK);
      return this.view(principal, id);
    }
    if (record.status !== TrainingStatus.Canceled) {
      await this.trainings.requestCancel(id);
      await this.cancelChannel.requestCancel(id);
      response.status(HttpStatus.ACCEPTED);
    } else {
      response.status(HttpStatus.OK);
    }
    return this.view(principal, id);
  }

  private async owned(principal: Principal, id: string): Promise<TrainingRecord> {
    const record = await this.trainings.get(id);
    if (!record || record.tenant !== principal.tenant) throw ApiError.notFound('training', id);
    return record;
  }

  private async view(principal: Principal, id: string): Promise<TrainingView> {
    return toTrainingView(await this.owned(principal, id), this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS);
  }
}
