import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { FarmMetrics } from '@atelier/metrics';

/**
 * Whether the generation worker takes new jobs: not while draining (operator request), not while
 * a training holds the GPU, never again once shutdown started. pause() lets running jobs
 * finish; resume() takes jobs again once nothing holds it back.
 */
export class JobIntake {
  private draining = false;
  private stopping = false;
  private gpuHolds = 0;
  private readonly workers: Worker[];

  constructor(
    worker: Worker,
    private readonly metrics: FarmMetrics,
    private readonly logger: Logger,
  ) {
    this.workers = [worker];
  }

  /** Another GPU queue's worker (image tasks) that drains, pauses for trainings and stops with this one. */
  follow(worker: Worker): void {
    this.workers.push(worker);
  }

  private async pause(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.pause()));
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Healthy until shutdown starts: a draining (paused) worker is alive and must not be restarted. */
  get isStopping(): boolean {
    return this.stopping;
  }

  async setDraining(value: boolean): Promise<void> {
    if (value === this.draining) return;
    this.draining = value;
    this.metrics.workerDraining.set(value ? 1 : 0);
    if (value) await this.pause();
    else this.resumeIfFree();
    this.logger.info({ draining: value }, value ? 'draining: finishing current jobs, taking no new ones' : 'undrained: taking jobs again');
  }

  /** Training holds the whole GPU: generation jobs pause (the current one finishes) until it ends. */
  async holdGpu(): Promise<() => void> {
    this.gpuHolds++;
    if (this.gpuHolds === 1) await this.pause();
    return () => {
      this.gpuHolds--;
      this.resumeIfFree();
    };
  }

  /** Shutdown started: nothing resumes the worker any more. */
  stop(): void {
    this.stopping = true;
  }

  private resumeIfFree(): void {
    if (this.gpuHolds === 0 && !this.draining && !this.stopping) for (const worker of this.workers) worker.resume();
  }
}
