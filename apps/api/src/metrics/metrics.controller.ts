import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { FARM_METRICS, type FarmMetrics } from '@atelier/metrics';
import { WEBHOOK_QUEUE } from '../infrastructure/tokens.js';
import { QueueRouter } from '../routing/queue-router.js';
import { AuthenticatedBy } from '../auth/require-scope.decorator.js';
import { MetricsAuthGuard } from './metrics-auth.guard.js';

const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed'] as const;

/** Operational data (queues, workers, tenants' traffic): a scrape token or an admin key, never anonymous. */
@Controller()
@AuthenticatedBy(MetricsAuthGuard)
export class MetricsController {
  constructor(
    @Inject(FARM_METRICS) private readonly metrics: FarmMetrics,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(WEBHOOK_QUEUE) private readonly webhookQueue: Queue,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const workers = await this.router.liveWorkers();
    this.metrics.workersAlive.reset();
    for (const worker of workers) this.metrics.workersAlive.inc({ worker_class: worker.worker_class });
    const generationQueues = (await this.router.knownQueues()).map((name) => this.router.queue(name));
    for (const queue of [...generationQueues, this.webhookQueue]) {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
    return this.metrics.registry.metrics();
  }
}
