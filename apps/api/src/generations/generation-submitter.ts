import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { JobName, type GenerationJob, type GenerationRecord, type WebhookTarget } from '@atelier/contracts';
import { FARM_METRICS, type FarmMetrics } from '@atelier/metrics';
import type { RedisClient } from '@atelier/queue';
import { BatchStore, GenerationStore, type NewGeneration } from '@atelier/records';
import { TenantLimitsStore, type Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { REDIS } from '../infrastructure/tokens.js';
import { QueueRouter } from '../routing/queue-router.js';
import { fairPriority } from './fair-priority.js';
import type { ResolvedSubmission } from './request-resolver.js';

export const newGenerationId = (): string => `gen_${randomUUID().replaceAll('-', '')}`;
export const newBatchId = (): string => `bat_${randomUUID().replaceAll('-', '')}`;

const ENQUEUE_CHUNK = 500;

/**
 * Admission and queuing of resolved generations (called by SubmitGenerations only): checks the
 * tenant's queue quota (and batch size), then writes records before (or, for one generation,
 * atomically with) their jobs, so a worker never sees a job without its record, and gives each
 * job its fair priority.
 */
@Injectable()
export class GenerationSubmitter {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(TenantLimitsStore) private readonly limits: TenantLimitsStore,
    @Inject(FARM_METRICS) private readonly metrics: FarmMetrics,
  ) {}

  /** Reserves `count` outstanding jobs for the tenant or refuses with 429; returns how many were outstanding before. */
  private async reserve(principal: Principal, count: number): Promise<number> {
    const { after, max, allowed } = await this.limits.reserveQueued(principal.tenant, count);
    if (!allowed) {
      throw new ApiError(
        HttpStatus.TOO_MANY_REQUESTS,
        'queue_limit_reached',
        `tenant ${principal.tenant} would have ${after} unfinished jobs; the limit is ${max}. Retry once some finish.`,
      ).withRetryAfter(30);
    }
    return after - count;
  }

  /** Queues one generation; returns its record as written, so the answer needs no re-read. */
  async submitOne(principal: Principal, submission: ResolvedSubmission): Promise<GenerationRecord> {
    const queueName = await this.router.route(submission.request);
    const before = await this.reserve(principal, 1);
    const created: NewGeneration = { id: newGenerationId(), tenant: principal.tenant, queue: queueName, request: submission.request, warnings: submission.warnings, createdAt: new Date().toISOString() };
    const payload: GenerationJob = { v: 1, generationId: created.id, submittedAt: created.createdAt };
    await this.router.enqueueWith(queueName, (multi) => this.generations.addCreate(multi, created), {
      name: JobName.GenerateImage,
      data: payload,
      opts: { jobId: created.id, priority: fairPriority('interactive', before) },
    });
    this.metrics.generationsSubmitted.inc({ kind: 'single' });
    return this.generations.created(created);
  }

  async submitBatch(principal: Principal, submissions: readonly ResolvedSubmission[], webhook: WebhookTarget | undefined): Promise<{ batchId: string; ids: string[] }> {
    const { max_batch_size: maxBatch } = await this.limits.limits(principal.tenant);
    if (submissions.length > maxBatch) throw ApiError.field('requests', `at most ${maxBatch} requests per batch for tenant ${principal.tenant}`);
    const queueNames = await Promise.all(submissions.map((submission) => this.router.route(submission.request)));
    const before = await this.reserve(principal, submissions.length);
    const batchId = newBatchId();
    const createdAt = new Date().toISOString();
    const ids = submissions.map(() => newGenerationId());
    for (let start = 0; start < submissions.length; start += ENQUEUE_CHUNK) {
      const multi = this.redis.multi();
      if (start === 0) this.batches.addCreate(multi, { id: batchId, tenant: principal.tenant, generationIds: ids, webhook, createdAt });
      for (let index = start; index < Math.min(submissions.length, start + ENQUEUE_CHUNK); index++) {
        const submission = submissions[index];
        this.generations.addCreate(multi, { id: ids[index], tenant: principal.tenant, queue: queueNames[index], request: submission.request, batchId, warnings: submission.warnings, createdAt });
      }
      await multi.exec();
    }
    for (const queueName of new Set(queueNames)) {
      const jobs = ids.flatMap((id, index) => {
        if (queueNames[index] !== queueName) return [];
        const payload: GenerationJob = { v: 1, generationId: id, batchId, submittedAt: createdAt };
        return [{ name: JobName.GenerateImage, data: payload, opts: { jobId: id, priority: fairPriority('batch', before, index) } }];
      });
      for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK) await this.router.queue(queueName).addBulk(jobs.slice(start, start + ENQUEUE_CHUNK));
    }
    this.metrics.generationsSubmitted.inc({ kind: 'batch' }, ids.length);
    return { batchId, ids };
  }
}
