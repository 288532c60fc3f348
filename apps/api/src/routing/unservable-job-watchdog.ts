import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { ErrorCode, GenerationStatus, generationJobSchema } from '#libs/contracts/src/index.js';
import { GenerationLifecycle } from '#libs/lifecycle/src/index.js';
import { GenerationStore, refOf } from '#libs/records/src/index.js';
import { QueueRouter } from './queue-router.js';

const SCAN_INTERVAL_MS = 5_000;
const SCAN_LIMIT = 500;

/**
 * A queued job whose model no live worker serves any more (its class scaled away, a model was
 * removed) fails with `no_capable_worker` once that has lasted UNSERVABLE_JOB_TIMEOUT_MS, instead
 * of waiting forever.
 */
@Injectable()
export class UnservableJobWatchdog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UnservableJobWatchdog');
  private timer: NodeJS.Timeout | undefined;
  /** queue + model → when it was last seen served by a live worker. */
  private readonly lastServed = new Map<string, number>();
  private readonly startedAt = Date.now();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(QueueRouter) private readonly router: QueueRouter,
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
    const workers = await this.router.liveWorkers();
    for (const worker of workers) for (const model of worker.models) this.lastServed.set(`${worker.queue}\n${model}`, now);
    let failed = 0;
    for (const name of await this.router.knownQueues()) {
      const jobs = await this.router.queue(name).getJobs(['waiting', 'prioritized', 'delayed'], 0, SCAN_LIMIT);
      for (const job of jobs) {
        const payload = generationJobSchema.safeParse(job.data);
        if (!payload.success) continue;
        const record = await this.generations.get(payload.data.generationId);
        if (!record || record.status !== GenerationStatus.Queued) continue;
        const lastSeen = this.lastServed.get(`${name}\n${record.request.model}`) ?? this.startedAt;
        if (now - lastSeen < this.config.env.UNSERVABLE_JOB_TIMEOUT_MS) continue;
        // generation.failed (and batch.completed) are recorded in the same atomic step.
        const result = await this.lifecycle.fail(
          refOf(record),
          { code: ErrorCode.NoCapableWorker, message: `no live worker has served model ${record.request.model} on queue ${name} for ${Math.round((now - lastSeen) / 1000)} s` },
          {},
          new Date(now),
        );
        if (!result.applied) continue;
        await job.remove().catch(() => undefined);
        failed++;
      }
    }
    if (failed > 0) this.logger.warn(`failed ${failed} queued job(s) that no live worker can serve`);
    return failed;
  }
}
