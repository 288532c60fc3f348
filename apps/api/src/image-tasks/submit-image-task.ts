import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { JobName, QueueName, type ImageTaskJobPayload, type ImageTaskRecord, type ResolvedImageTask } from '@atelier/contracts';
import { JobRuntime } from '@atelier/jobs';
import { ImageTaskStore } from '@atelier/records';
import { TenantLimitsStore, type Principal } from '@atelier/tenancy';
import { ApiError } from '../common/api-error.js';
import { fairPriority } from '../generations/fair-priority.js';
import { QueueRouter } from '../routing/queue-router.js';

/**
 * Admit, record and enqueue a resolved image task, any kind: one unfinished job reserved against
 * the tenant's queue quota (the same counter generations use; the task's ending move releases
 * it), then the record and its job in one Redis MULTI (no job without its record, no record
 * without its job) on the chosen class's queue, with the tenant's fair priority.
 */
@Injectable()
export class SubmitImageTask {
  constructor(
    @Inject(JobRuntime) private readonly jobs: JobRuntime,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(ImageTaskStore) private readonly tasks: ImageTaskStore,
    @Inject(TenantLimitsStore) private readonly limits: TenantLimitsStore,
  ) {}

  async submit(principal: Principal, request: ResolvedImageTask, queue: string): Promise<ImageTaskRecord> {
    const { after, max, allowed } = await this.limits.reserveQueued(principal.tenant, 1);
    if (!allowed) {
      throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, 'queue_limit_reached', `tenant ${principal.tenant} would have ${after} unfinished jobs; the limit is ${max}. Retry once some finish.`).withRetryAfter(30);
    }
    const id = `tsk_${randomUUID().replaceAll('-', '')}`;
    const createdAt = new Date().toISOString();
    const payload: ImageTaskJobPayload = { v: 1, taskId: id, kind: request.kind, submittedAt: createdAt };
    await this.router.enqueueOn(this.jobs.queue(QueueName.ImageTask, queue), (multi) => this.tasks.addCreate(multi, { id, tenant: principal.tenant, request, queue, createdAt }), {
      name: JobName.RunImageTask,
      data: payload,
      opts: { jobId: id, priority: fairPriority('interactive', after - 1) },
    });
    const record = await this.tasks.get(id);
    if (!record) throw new Error(`image task ${id} vanished right after it was created`);
    return record;
  }
}
