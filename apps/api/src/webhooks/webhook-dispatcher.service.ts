import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { JobName, QueueName, webhookJobSchema, type WebhookJob } from '@atelier/contracts';
import { JobRuntime } from '@atelier/jobs';
import { FARM_METRICS, type FarmMetrics } from '@atelier/metrics';
import { WebhookLedger, type DeliveryAttempt } from '@atelier/notifications';
import { WebhookSecretStore } from '@atelier/tenancy';
import { checkOutboundUrl, farmPolicies, redactUrl, type OutboundPolicy } from '@atelier/outbound';
import { deliverWebhook, webhookHeaders } from '@atelier/webhooks';
import { RetryAfterError, parseRetryLadder, webhookRetryDelayMs } from './retry-schedule.js';
import { WebhookJobTenant } from './webhook-job-tenant.js';

/**
 * Delivers webhooks from their own queue, so a slow receiver only ever holds this process's
 * delivery slots, never a GPU worker. Every attempt is recorded on its generation or batch;
 * exhausted deliveries go to the tenant's dead-letter list; a 410 switches the endpoint off.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly policy: OutboundPolicy;
  private readonly ladder: number[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FARM_METRICS) private readonly metrics: FarmMetrics,
    @Inject(WebhookLedger) private readonly ledger: WebhookLedger,
    @Inject(WebhookSecretStore) private readonly secrets: WebhookSecretStore,
    @Inject(WebhookJobTenant) private readonly jobTenant: WebhookJobTenant,
    @Inject(JobRuntime) private readonly jobs: JobRuntime,
  ) {
    this.policy = farmPolicies(config.env).webhooks;
    this.ladder = parseRetryLadder(config.env.WEBHOOK_RETRY_SCHEDULE_MS);
  }

  /** Registers before the runtime starts (InfrastructureModule, on application bootstrap). */
  onModuleInit(): void {
    if (!this.config.env.WEBHOOK_DISPATCHER) return;
    this.jobs.register(JobName.DeliverWebhook, (job) => this.deliver(job));
    this.jobs.consume(QueueName.Webhook, {
      backoffStrategy: (attemptsMade, _type, error) => (error instanceof RetryAfterError ? error.retryAfterMs : webhookRetryDelayMs(this.ladder, attemptsMade)),
    });
  }

  private async deliver(job: Job): Promise<{ status?: number }> {
    const message = await this.jobTenant.resolve(webhookJobSchema.parse(job.data), job.data);
    const attempt = job.attemptsMade + 1;
    const final = attempt >= (job.opts.attempts ?? 1);
    const record = (entry: Omit<DeliveryAttempt, 'message_id' | 'event' | 'url' | 'attempt' | 'at'>): Promise<void> =>
      this.ledger.recordAttempt(message.subject, { message_id: message.messageId, event: message.event, url: message.url, attempt, at: new Date().toISOString(), ...entry });

    if (await this.ledger.isDisabled(message.tenant, message.url)) {
      await record({ outcome: 'endpoint_disabled', status: null, error: 'endpoint disabled after HTTP 410', duration_ms: 0 });
      await this.ledger.deadLetter(message, 'endpoint disabled after HTTP 410');
      throw new UnrecoverableError('endpoint disabled');
    }
    try {
      checkOutboundUrl(message.url, this.policy);
    } catch (error) {
      return this.giveUp(message, record, (error as Error).message);
    }
    const timestamp = Math.floor(Date.now() / 1000);
    // Read at every attempt: a retry or a redelivery after a rotation signs with the secrets of now.
    const { current, previous } = await this.secrets.secretsFor(message.tenant);
    const secrets: [string, ...string[]] = previous ? [current, previous.secret] : [current];
    const headers = webhookHeaders({ secrets, id: message.messageId, timestamp, body: message.body });
    const result = await deliverWebhook({
      url: message.url,
      headers,
      body: message.body,
      timeoutMs: this.config.env.WEBHOOK_TIMEOUT_MS,
      policy: this.policy,
    });
    this.metrics.webhookLatency.observe({ event: message.event }, result.durationMs / 1000);
    if (result.ok) {
      this.metrics.webhookDeliveries.inc({ event: message.event, outcome: 'delivered' });
      // The receiver has it: failing to write the record must not turn into a second delivery.
      await record({ outcome: 'delivered', status: result.status ?? null, error: null, duration_ms: result.durationMs }).catch((error: Error) =>
        this.logger.warn(`delivery ${message.messageId} succeeded but its record could not be written: ${error.message}`),
      );
      return { status: result.status };
    }
    const reason = `${result.error?.code ?? 'error'}: ${result.error?.message ?? `HTTP ${result.status}`}`;
    if (result.status === 410) {
      await this.ledger.disableEndpoint(message.tenant, message.url);
      this.logger.warn(`webhook endpoint ${redactUrl(message.url)} answered 410 Gone: disabled for tenant ${message.tenant}`);
      return this.giveUp(message, record, reason, result.status, result.durationMs);
    }
    if (result.error?.code === 'forbidden') return this.giveUp(message, record, reason, result.status, result.durationMs);
    if (final) return this.giveUp(message, record, `attempts exhausted; last: ${reason}`, result.status, result.durationMs);
    this.metrics.webhookDeliveries.inc({ event: message.event, outcome: 'retrying' });
    await record({ outcome: 'retrying', status: result.status ?? null, error: reason, duration_ms: result.durationMs });
    if (result.retryAfterSeconds !== undefined) throw new RetryAfterError(reason, result.retryAfterSeconds * 1000);
    throw new Error(reason);
  }

  private async giveUp(
    message: WebhookJob,
    record: (entry: Omit<DeliveryAttempt, 'message_id' | 'event' | 'url' | 'attempt' | 'at'>) => Promise<void>,
    reason: string,
    status?: number,
    durationMs = 0,
  ): Promise<never> {
    this.metrics.webhookDeliveries.inc({ event: message.event, outcome: 'failed' });
    await record({ outcome: 'dead_lettered', status: status ?? null, error: reason, duration_ms: durationMs });
    await this.ledger.deadLetter(message, reason);
    throw new UnrecoverableError(reason);
  }
}
