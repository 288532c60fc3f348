import type { Logger } from 'pino';
import type { JobRuntime } from '@atelier/jobs';
import type { ActiveJobs } from './active-jobs.js';

export interface GracefulShutdownDeps {
  readonly jobs: JobRuntime;
  readonly active: ActiveJobs;
  readonly deadlineMs: number;
  readonly logger: Logger;
  /** Runs first: nothing may resume taking jobs. */
  readonly beforeClose: () => void;
  /** Runs last, once every job finished or was handed back: connections, servers, registry entry. */
  readonly release: () => Promise<void>;
}

/**
 * SIGTERM/SIGINT: take no new jobs, let the running ones finish until the deadline, then hand
 * the rest back (their handlers requeue them through the lifecycle, see WorkerShutdownError).
 */
export class GracefulShutdown {
  private started = false;

  constructor(private readonly deps: GracefulShutdownDeps) {}

  get inProgress(): boolean {
    return this.started;
  }

  async run(signalName: string): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { jobs, active, logger } = this.deps;
    logger.info({ signal: signalName, active: active.ids() }, 'shutting down: no new jobs, finishing the current ones');
    this.deps.beforeClose();
    const closing = jobs.closeWorkers();
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), this.deps.deadlineMs).unref());
    if ((await Promise.race([closing.then(() => 'closed' as const), deadline])) === 'deadline') {
      logger.warn({ active: active.ids() }, 'shutdown deadline reached: handing running jobs back to the queue');
      jobs.handBackAll();
      await closing;
    }
    await jobs.close();
    await this.deps.release();
    logger.info('worker stopped');
  }
}
