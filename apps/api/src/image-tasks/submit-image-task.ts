import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JobName, JobPriority, QueueName, type ImageTaskJobPayload, type ImageTaskRecord, type ResolvedImageTask } from '@atelier/contracts';
import { JobRuntime } from '@atelier/jobs';
import { ImageTaskStore } from '@atelier/records';
import type { Principal } from '@atelier/tenancy';
import { QueueRouter } from '../routing/queue-router.js';

/**
 * Record and enqueue of a resolved image task, any kind: the record and its job in one Redis
 * MULTI (no job without its record, no record without its job), on the chosen class's queue.
 */
@Injectable()
export class SubmitImageTask {
  constructor(
    @Inject(JobRuntime) private readonly jobs: JobRuntime,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(ImageTaskStore) private readonly tasks: ImageTaskStore,
  ) {}

  async submit(principal: Principal, request: ResolvedImageTask, queue: string): Promise<ImageTaskRecord> {
    const id = `tsk_${randomUUID().replaceAll('-', '')}`;
    const createdAt = new Date().toISOString();
    const payload: ImageTaskJobPayload = { v: 1, taskId: id, kind: request.kind, submittedAt: createdAt };
    await this.router.enqueueOn(this.jobs.queue(QueueName.ImageTask, queue), (multi) => this.tasks.addCreate(multi, { id, tenant: principal.tenant, request, queue, createdAt }), {
      name: JobName.RunImageTask,
      data: payload,
      opts: { jobId: id, priority: JobPriority.Interactive },
    });
    const record = await this.tasks.get(id);
    if (!record) throw new Error(`image task ${id} vanished right after it was created`);
    return record;
  }
}
