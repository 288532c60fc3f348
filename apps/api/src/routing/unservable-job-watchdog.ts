import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { ErrorCode, GenerationStatus, generationJobSchema, type GenerationRecord } from '@atelier/contracts';
import { GenerationLifecycle } from '@atelier/lifecycle';
import { classMeets, requirementsOf } from '@atelier/queue';
import { GenerationStore, refOf } from '@atelier/records';
import { FarmCatalog, type CatalogSnapshot } from './farm-catalog.js';
import { preprocessorFolder, QueueRouter } from './queue-router.js';
import { queuedJobVerdict } from './queued-job-verdict.js';

const SCAN_INTERVAL_MS = 5_000;
const SCAN_LIMIT = 500;

/**
 * Ends queued jobs that would otherwise wait forever (see queuedJobVerdict): past JOB_DEADLINE_MS
 * from submission they fail `deadline_exceeded` (workers enforce it only once they run a job, and
 * at zero workers none may ever come); when no known worker class can run them for
 * UNSERVABLE_JOB_TIMEOUT_MS they fail `no_capable_worker`. A job for a known class whose workers
 * are all gone just waits: that is scale-from-zero.
 */
@Injectable()
export class UnservableJobWatchdog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UnservableJobWatchdog');
  private timer: NodeJS.Timeout | undefined;
  /** generation id → when the scan first found no class able to run it. */
  private unservableSince = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(FarmCatalog) private readonly catalog: FarmCatalog,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(GenerationLifecycle) private readonly lifecycle: GenerationLifecycle,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.scan().catch((error: Error) => this.logger.warn(`scan failed: ${error.message}`)), SCAN_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async scan(now = Date.now()): Promise<number> {
    const snapshot = await this.catalog.snapshot();
    const stillUnservable = new Map<string, number>();
    let failed = 0;
    for (const name of await this.router.knownQueues()) {
      const jobs = await this.router.queue(name).getJobs(['waiting', 'prioritized', 'delayed'], 0, SCAN_LIMIT);
      for (const job of jobs) {
        const payload = generationJobSchema.safeParse(job.data);
        if (!payload.success) continue;
        const record = await this.generations.get(payload.data.generationId);
        if (!record || record.status !== GenerationStatus.Queued) continue;
        const capable = this.capable(snapshot, name, record);
        const since = capable ? undefined : (this.unservableSince.get(record.id) ?? now);
        if (since !== undefined) stillUnservable.set(record.id, since);
        const verdict = queuedJobVerdict({
          now,
          createdAt: Date.parse(record.created_at),
          deadlineMs: this.config.env.JOB_DEADLINE_MS,
          capable,
          unservableSince: since,
          unservableTimeoutMs: this.config.env.UNSERVABLE_JOB_TIMEOUT_MS,
        });
        if (verdict === 'wait') continue;
        const error =
          verdict === 'deadline_exceeded'
            ? { code: ErrorCode.DeadlineExceeded, message: `no worker started the job within JOB_DEADLINE_MS (${this.config.env.JOB_DEADLINE_MS} ms of submission)` }
            : { code: ErrorCode.NoCapableWorker, message: `no worker class on queue ${name} can run model ${record.request.model} with this job's refiner and LoRAs (for ${Math.round((now - (since ?? now)) / 1000)} s)` };
        if (await this.fail(job, record, error, now)) failed++;
      }
    }
    this.unservableSince = stillUnservable;
    if (failed > 0) this.logger.warn(`failed ${failed} queued job(s) past their deadline or that no worker class can run`);
    return failed;
  }

  private capable(snapshot: CatalogSnapshot, queue: string, record: GenerationRecord): boolean {
    const requirements = requirementsOf(record.request, (model) => snapshot.models.get(model)?.refiner, preprocessorFolder);
    return snapshot.classes.some((entry) => entry.queue === queue && classMeets(entry, requirements, snapshot.imported));
  }

  private async fail(job: Job, record: GenerationRecord, error: { code: string; message: string }, now: number): Promise<boolean> {
    // generation.failed (and batch.completed) are recorded in the same atomic step.
    const result = await this.lifecycle.fail(refOf(record), error, {}, new Date(now));
    if (!result.applied) return false;
    await job.remove().catch(() => undefined);
    return true;
  }
}
