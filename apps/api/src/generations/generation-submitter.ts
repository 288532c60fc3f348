import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobName, JobPriority, type GenerationJob, type WebhookTarget } from '#libs/contracts/src/index.js';
import { FARM_METRICS, type FarmMetrics } from '#libs/metrics/src/index.js';
import { REDIS, GENERATION_QUEUE } from '../infrastructure/tokens.js';
import { BatchStore, GenerationStore } from '#libs/records/src/index.js';
import type { Redis } from '#libs/queue/src/index.js';
import type { ResolvedSubmission } from './request-resolver.js';

export const newGenerationId = (): string => `gen_${randomUUID().replaceAll('-', '')}`;
export const newBatchId = (): string => `bat_${randomUUID().replaceAll('-', '')}`;

const ENQUEUE_CHUNK = 500;

/** Writes records first, then jobs: a worker never sees a job without its record. */
@Injectable()
export class GenerationSubmitter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(GENERATION_QUEUE) private readonly queue: Queue,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(FARM_METRICS) private readonly metrics: FarmMetrics,
  ) {}

  async submitOne(submission: ResolvedSubmission): Promise<string> {
    const id = newGenerationId();
    const createdAt = new Date().toISOString();
    const multi = this.redis.multi();
    this.generations.addCreate(multi, { id, request: submission.request, warnings: submission.warnings, createdAt });
    await multi.exec();
    const payload: GenerationJob = { v: 1, generationId: id, submittedAt: createdAt };
    await this.queue.add(JobName.GenerateImage, payload, { jobId: id, priority: JobPriority.Interactive });
    this.metrics.generationsSubmitted.inc({ kind: 'single' });
    return id;
  }

  async submitBatch(submissions: readonly ResolvedSubmission[], webhook: WebhookTarget | undefined): Promise<{ batchId: string; ids: string[] }> {
    const batchId = newBatchId();
    const createdAt = new Date().toISOString();
    const ids = submissions.map(() => newGenerationId());
    for (let start = 0; start < submissions.length; start += ENQUEUE_CHUNK) {
      const multi = this.redis.multi();
      if (start === 0) this.batches.addCreate(multi, { id: batchId, generationIds: ids, webhook, createdAt });
      for (let index = start; index < Math.min(submissions.length, start + ENQUEUE_CHUNK); index++) {
        const submission = submissions[index];
        this.generations.addCreate(multi, { id: ids[index], request: submission.request, batchId, warnings: submission.warnings, createdAt });
      }
      await multi.exec();
    }
    for (let start = 0; start < ids.length; start += ENQUEUE_CHUNK) {
      await this.queue.addBulk(
        ids.slice(start, start + ENQUEUE_CHUNK).map((id) => {
          const payload: GenerationJob = { v: 1, generationId: id, batchId, submittedAt: createdAt };
          return { name: JobName.GenerateImage, data: payload, opts: { jobId: id, priority: JobPriority.Batch } };
        }),
      );
    }
    this.metrics.generationsSubmitted.inc({ kind: 'batch' }, ids.length);
    return { batchId, ids };
  }
}
