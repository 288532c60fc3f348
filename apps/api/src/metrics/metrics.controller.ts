import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { FARM_METRICS, type FarmMetrics } from '#libs/metrics/src/index.js';
import { GENERATION_QUEUE, WEBHOOK_QUEUE } from '../infrastructure/tokens.js';

const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed', 'completed'] as const;

@Controller()
export class MetricsController {
  constructor(
    @Inject(FARM_METRICS) private readonly metrics: FarmMetrics,
    @Inject(GENERATION_QUEUE) private readonly generationQueue: Queue,
    @Inject(WEBHOOK_QUEUE) private readonly webhookQueue: Queue,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    for (const queue of [this.generationQueue, this.webhookQueue]) {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
    return this.metrics.registry.metrics();
  }
}
