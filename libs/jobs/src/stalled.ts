import type { Job } from 'bullmq';

/**
 * Whether BullMQ failed `job` because it stalled more often than `maxStalledCount` (its workers
 * kept dying): BullMQ's stalled-jobs script counts each stall in the job's `stc` field
 * (Job#stalledCounter) and, past the limit, marks the job for a deferred failure that the next
 * worker applies without running the processor. Read from those fields, not the failure text.
 */
export function stalledTooOften(job: Pick<Job, 'stalledCounter' | 'deferredFailure'>, maxStalledCount: number): boolean {
  return Boolean(job.deferredFailure) && job.stalledCounter > maxStalledCount;
}
