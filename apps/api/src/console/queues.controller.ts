import { Controller, Get, Inject } from '@nestjs/common';
import { QueueRouter } from '../routing/queue-router.js';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;
type QueueState = (typeof STATES)[number];

export interface QueueSummary {
  readonly name: string;
  readonly counts: Record<QueueState, number>;
  /** Live workers consuming this queue, and how many of them are draining. */
  readonly workers: number;
  readonly draining: number;
}

/**
 * GET /v1/queues: job counts per generation queue and the workers on each. Counts are farm-wide
 * (no tenant's jobs are identified), so any key may read them; /v1/workers stays admin-only.
 */
@Controller('v1/queues')
export class QueuesController {
  constructor(@Inject(QueueRouter) private readonly router: QueueRouter) {}

  @Get()
  async list(): Promise<{ object: 'list'; data: QueueSummary[] }> {
    const [names, workers] = await Promise.all([this.router.knownQueues(), this.router.liveWorkers()]);
    const data = await Promise.all(
      names.map(async (name): Promise<QueueSummary> => {
        const raw = await this.router.queue(name).getJobCounts(...STATES);
        const counts = Object.fromEntries(STATES.map((state) => [state, raw[state] ?? 0])) as Record<QueueState, number>;
        const consumers = workers.filter((worker) => worker.queue === name);
        return { name, counts, workers: consumers.length, draining: consumers.filter((worker) => worker.draining).length };
      }),
    );
    return { object: 'list', data };
  }
}
