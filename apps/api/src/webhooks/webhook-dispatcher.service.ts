import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { QueueName, webhookJobSchema } from '#libs/contracts/src/index.js';
import { FARM_METRICS, type FarmMetrics } from '#libs/metrics/src/index.js';
import { createRedisConnection } from '#libs/queue/src/index.js';
import { deliverWebhook, webhookHeaders } from '#libs/webhooks/src/index.js';
import { RetryAfterError, webhookRetryDelayMs } from './retry-schedule.js';

/**
 * Delivers webhooks from their own queue, so a slow receiver only ever holds this process's
 * delivery slots, never a GPU worker.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private worker: Worker | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FARM_METRICS) private readonly metrics: FarmMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.env.WEBHOOK_DISPATCHER) return;
    this.worker = new Worker(QueueName.Webhook, (job) => this.deliver(job), {
      connection: createRedisConnection(this.config.redisUrl),
      prefix: this.config.env.QUEUE_PREFIX,
      concurrency: this.config.env.WEBHOOK_CONCURRENCY,
      settings: {
        backoffStrategy: (attemptsMade, _type, error) =>
          error instanceof RetryAfterError ? error.retryAfterMs : webhookRetryDelayMs(attemptsMade),
      },
    });
    this.worker.on('failed', (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.logger.warn(`webhook ${job.id} to ${String(job.data.url)} exhausted its attempts: ${error.message}`);
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async deliver(job: Job): Promise<{ status?: number; durationMs: number }> {
    const message = webhookJobSchema.parse(job.data);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders({ secret: this.config.webhookSecret, id: message.messageId, timestamp, body: message.body });
    const result = await deliverWebhook({ url: message.url, headers, body: message.body, timeoutMs: this.config.env.WEBHOOK_TIMEOUT_MS });
    this.metrics.webhookLatency.observe({ event: message.event }, result.durationMs / 1000);
    if (result.ok) {
      this.metrics.webhookDeliveries.inc({ event: message.event, outcome: 'delivered' });
      return { status: result.status, durationMs: result.durationMs };
    }
    const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    this.metrics.webhookDeliveries.inc({ event: message.event, outcome: final ? 'failed' : 'retrying' });
    const reason = `${result.error?.code ?? 'error'}: ${result.error?.message ?? `HTTP ${result.status}`}`;
    if (result.retryAfterSeconds !== undefined) throw new RetryAfterError(reason, result.retryAfterSeconds * 1000);
    throw new Error(reason);
  }
}
