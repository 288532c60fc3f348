import type { Job, Worker } from 'bullmq';
import type { ActiveJobs } from './active-jobs.js';
import type { PulledJob } from './batch-collector.js';
import type { GenerationHandler } from './generation-handler.js';

/**
 * Runs generation jobs on the runtime's generation worker. A job the worker's own loop took
 * leads a UNet batch: it may pull compatible queued jobs in (see BatchCollector) and returns
 * only when they are done, so the worker's concurrency, close() and shutdown cover them too.
 */
export class GenerationConsumer {
  private pullCount = 0;
  private readonly pulledIds = new Set<string>();
  private worker: Worker | undefined;

  constructor(
    private readonly handler: GenerationHandler,
    private readonly active: ActiveJobs,
  ) {}

  /** The worker whose queue companions are pulled from (known once the runtime created it). */
  attach(worker: Worker): void {
    this.worker = worker;
  }

  async process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<{ outputs: number }> {
    const id = String(job.id);
    // Jobs they pulled in do not pull in turn.
    const leads = !this.pulledIds.delete(id);
    const pulled: Array<Promise<unknown>> = [];
    return this.active.track(id, async () => {
      try {
        return await this.handler.handle(job, token, signal, leads ? () => this.pull(pulled) : undefined);
      } finally {
        this.handler.finished(id);
        await Promise.allSettled(pulled);
      }
    });
  }

  private async pull(pulled: Array<Promise<unknown>>): Promise<PulledJob | undefined> {
    const worker = this.worker;
    if (!worker) return undefined;
    const pullToken = `${worker.id}:batch:${this.pullCount++}`;
    const next = await worker.getNextJob(pullToken, { block: false });
    if (!next?.id) return undefined;
    const id = next.id;
    return {
      id,
      start: () => {
        this.pulledIds.add(id);
        pulled.push(worker.processJob(next, pullToken, () => false));
      },
    };
  }
}
