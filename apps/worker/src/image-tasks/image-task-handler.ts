import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AppConfig } from '@atelier/config';
import { ErrorCode, GenerationStatus, imageTaskJobSchema, type ImageTaskKind, type ImageTaskOutput, type ResolvedImageTask } from '@atelier/contracts';
import { isWorkerShutdown } from '@atelier/jobs';
import type { ImageTaskLifecycle, ImageTaskRef } from '@atelier/lifecycle';
import type { FarmMetrics } from '@atelier/metrics';
import { ImageTaskStore } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import { jobDeadline } from '../job-deadline.js';
import { putWithRetry } from '../put-with-retry.js';
import { PermanentTaskError, TaskAbortedError, type ImageTaskRunner, type TaskContext, type TaskResult } from './image-task-runner.js';

/** One runner per kind: the table a new kind (upscale, …) adds its runner to. */
export type ImageTaskRunners = { readonly [K in ImageTaskKind]: ImageTaskRunner<K> };

function runTask(runners: ImageTaskRunners, task: ResolvedImageTask, context: TaskContext): Promise<TaskResult> {
  // The table's type pairs each kind with its runner; TypeScript cannot correlate the two unions.
  const runner = runners[task.kind] as ImageTaskRunner;
  return runner.run(task as never, context);
}

/** Maps anything a runner threw to a stable error code and whether retrying helps. */
function classify(error: unknown): { error: { code: string; message: string }; permanent: boolean } {
  if (error instanceof PermanentTaskError) return { error: { code: error.code, message: error.message }, permanent: true };
  if (error instanceof UnrecoverableError) return { error: { code: ErrorCode.Internal, message: error.message }, permanent: true };
  return { error: { code: ErrorCode.InferenceFailed, message: error instanceof Error ? error.message : String(error) }, permanent: false };
}

export interface ImageTaskHandlerDeps {
  readonly config: AppConfig;
  readonly store: ImageTaskStore;
  /** Every status change (and, atomically with it, its webhook) goes through here. */
  readonly lifecycle: ImageTaskLifecycle;
  readonly storage: ObjectStorage;
  readonly metrics: FarmMetrics;
  readonly logger: Logger;
  readonly runners: ImageTaskRunners;
}

/**
 * Runs one `run-image-task` job of any kind from record to uploaded outputs and a terminal state,
 * with the generation job's guarantees: first-start webhook, retries with backoff for transient
 * failures, permanent ones failed at once with their code, cancel (queued or between a runner's
 * stages), hand-back on shutdown without spending an attempt, the job deadline.
 */
export class ImageTaskHandler {
  constructor(private readonly deps: ImageTaskHandlerDeps) {}

  async handle(job: Job, token: string | undefined, jobSignal: AbortSignal | undefined): Promise<{ outputs: number }> {
    const { store, lifecycle, metrics, config } = this.deps;
    const parsed = imageTaskJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`unsupported run-image-task payload: ${parsed.error.message}`);
    const { taskId: id, submittedAt } = parsed.data;
    const record = await store.get(id);
    if (!record) throw new UnrecoverableError(`image task ${id} has no record`);
    const task: ImageTaskRef = { id, kind: record.kind, tenant: record.tenant };
    const log = this.deps.logger.child({ task_id: id, job_id: job.id, kind: record.kind, tenant: record.tenant });
    if (ImageTaskStore.isTerminal(record.status)) return { outputs: 0 };
    if (record.cancel_requested) {
      await lifecycle.cancel(task, [GenerationStatus.Queued, GenerationStatus.Running], new Date());
      return { outputs: 0 };
    }
    const attempt = job.attemptsMade + 1;
    const startedAt = new Date();
    // `<kind>.started` (first attempt only) is recorded in the same atomic step.
    if (!(await lifecycle.start(task, config.workerId, attempt, startedAt)).applied) return { outputs: 0 };
    const queueWaitMs = startedAt.getTime() - Date.parse(submittedAt);
    metrics.queueWait.observe({ job_type: record.kind }, queueWaitMs / 1000);
    const deadline = jobDeadline(Date.parse(record.created_at) + config.env.JOB_DEADLINE_MS, jobSignal);
    metrics.workerBusy.inc();
    try {
      const runStart = performance.now();
      let progress: { step: number; total: number } | undefined;
      const onProgress = async (step: number, total: number): Promise<void> => {
        progress = { step, total };
        await store.writeProgress(id, step, total);
        await job.updateProgress({ step, total });
      };
      const result = await runTask(this.deps.runners, record.request, { tenant: record.tenant, signal: deadline.signal, onProgress });
      const runMs = performance.now() - runStart;
      const uploadStart = performance.now();
      const outputs: ImageTaskOutput[] = [];
      for (const [index, image] of result.images.entries()) {
        // Deterministic keys: a retried task overwrites instead of duplicating.
        const key = `tasks/${id}/${index}.${image.extension}`;
        await putWithRetry(this.deps.storage, key, image.bytes, image.contentType, config.env.STORAGE_RETRY_MAX_MS, (retry, error) => log.warn({ err: error, attempt: retry, key }, 'upload failed; retrying'));
        outputs.push({ index, kind: image.kind, key, width: image.width, height: image.height, content_type: image.contentType });
      }
      const uploadMs = performance.now() - uploadStart;
      metrics.upload.observe({ job_type: record.kind }, uploadMs / 1000);
      const finishedAt = new Date();
      const timings = { queue_wait_ms: Math.round(queueWaitMs), run_ms: Math.round(runMs), upload_ms: Math.round(uploadMs), total_ms: finishedAt.getTime() - Date.parse(submittedAt) };
      const done = await lifecycle.succeed(task, { outputs, metadata: result.metadata, timings, progress }, finishedAt);
      if (done.applied) log.info({ timings }, 'image task succeeded');
      return { outputs: outputs.length };
    } catch (caught) {
      const error =
        caught instanceof TaskAbortedError && deadline.aborted
          ? new PermanentTaskError(ErrorCode.DeadlineExceeded, `the task did not finish within JOB_DEADLINE_MS (${config.env.JOB_DEADLINE_MS} ms of submission)`)
          : caught;
      if (error instanceof TaskAbortedError) {
        if (isWorkerShutdown(error.reason)) {
          // Handed back without spending an attempt: another worker runs it from the start.
          await lifecycle.handBack(task);
          await job.moveToWait(token);
          throw new WaitingError();
        }
        await lifecycle.cancel(task, [GenerationStatus.Queued, GenerationStatus.Running], new Date());
        log.info('image task canceled');
        return { outputs: 0 };
      }
      const { error: failure, permanent } = classify(error);
      const final = permanent || attempt >= (job.opts.attempts ?? 1);
      log.warn({ err: error, attempt, final }, 'image task attempt failed');
      await lifecycle.attemptFailed(task, failure, final, new Date());
      if (final) throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      throw error;
    } finally {
      deadline.clear();
      metrics.workerBusy.dec();
    }
  }
}
