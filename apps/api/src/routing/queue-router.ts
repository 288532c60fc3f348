import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { WorkerRegistry, generationJobDefaults, type Redis, type WorkerState } from '#libs/queue/src/index.js';
import { ApiError } from '../common/api-error.js';
import { REDIS } from '../infrastructure/tokens.js';

/**
 * Capability routing: a job goes to the queue of a worker class whose live workers serve its
 * model, the least loaded one when several do. A model no live worker serves is refused at once.
 */
@Injectable()
export class QueueRouter implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private cachedWorkers: { at: number; workers: Promise<WorkerState[]> } | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WorkerRegistry) private readonly registry: WorkerRegistry,
  ) {}

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: this.config.env.QUEUE_PREFIX, defaultJobOptions: generationJobDefaults(this.config.env.JOB_ATTEMPTS) });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Queues any live worker consumes, for metrics and the watchdog. */
  async knownQueues(): Promise<string[]> {
    return [...new Set([...(await this.liveWorkers()).map((worker) => worker.queue), ...this.queues.keys()])].sort();
  }

  async liveWorkers(): Promise<WorkerState[]> {
    const now = Date.now();
    if (!this.cachedWorkers || now - this.cachedWorkers.at > 1_000) {
      const workers = this.registry.liveWorkers();
      this.cachedWorkers = { at: now, workers };
      workers.catch(() => (this.cachedWorkers = undefined));
    }
    return this.cachedWorkers.workers;
  }

  async route(modelId: string): Promise<string> {
    let capable = (await this.liveWorkers()).filter((worker) => worker.models.includes(modelId));
    if (capable.length === 0) {
      // The cache may predate a worker that just started or just picked up this model.
      this.cachedWorkers = undefined;
      capable = (await this.liveWorkers()).filter((worker) => worker.models.includes(modelId));
    }
    const preferred = capable.some((worker) => !worker.draining) ? capable.filter((worker) => !worker.draining) : capable;
    const candidates = [...new Set(preferred.map((worker) => worker.queue))];
    if (candidates.length === 0) throw ApiError.field('model', `no live worker serves model "${modelId}"`);
    if (candidates.length === 1) return candidates[0];
    const loads = await Promise.all(candidates.map(async (name) => (await this.queue(name).getJobCounts('waiting', 'prioritized')) as Record<string, number>));
    let best = 0;
    loads.forEach((load, index) => {
      if ((load.waiting ?? 0) + (load.prioritized ?? 0) < (loads[best].waiting ?? 0) + (loads[best].prioritized ?? 0)) best = index;
    });
    return candidates[best];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
  }
}
