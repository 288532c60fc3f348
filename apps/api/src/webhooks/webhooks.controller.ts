import { Body, Controller, Get, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { JobName } from '#libs/contracts/src/index.js';
import { WebhookLedger, type DeadLetter } from '#libs/notifications/src/index.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { ApiError } from '../common/api-error.js';
import { parseBody } from '../common/zod-body.js';
import { WEBHOOK_QUEUE } from '../infrastructure/tokens.js';

const endpointSchema = z.object({ url: z.url() }).strict();

@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WebhookLedger) private readonly ledger: WebhookLedger,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue,
  ) {}

  /** The signing secret, for receivers to verify `webhook-signature`; only over authenticated calls. */
  @Get('secret')
  secret(): { secret: string; scheme: 'standard-webhooks' } {
    if (this.config.env.AUTH_DISABLED) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'auth_disabled', 'authentication is disabled, so the webhook secret is not served over HTTP; it is printed at first start');
    }
    return { secret: this.config.webhookSecret, scheme: 'standard-webhooks' };
  }

  @Get('dead-letters')
  async deadLetters(@CurrentPrincipal() principal: Principal): Promise<{ object: 'list'; data: Array<Omit<DeadLetter, 'job'> & { event: string; url: string }> }> {
    const letters = await this.ledger.deadLetters(principal.tenant);
    return { object: 'list', data: letters.map(({ job, ...rest }) => ({ ...rest, event: job.event, url: job.url, subject: job.subject })) };
  }

  /** Queues a dead letter again with a fresh set of attempts (after the receiver is fixed). */
  @Post('dead-letters/:id/redeliver')
  async redeliver(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<{ id: string; status: 'queued' }> {
    const letter = await this.ledger.takeDeadLetter(principal.tenant, id);
    if (!letter) throw ApiError.notFound('dead letter', id);
    await this.ledger.enableEndpoint(principal.tenant, letter.job.url);
    await this.queue.add(JobName.DeliverWebhook, letter.job, { jobId: `${letter.job.messageId}-redelivery-${Date.now()}` });
    return { id, status: 'queued' };
  }

  @Get('disabled-endpoints')
  async disabled(@CurrentPrincipal() principal: Principal): Promise<{ object: 'list'; data: string[] }> {
    return { object: 'list', data: await this.ledger.disabledEndpoints(principal.tenant) };
  }

  @Post('disabled-endpoints/enable')
  async enable(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<{ url: string; enabled: boolean }> {
    const { url } = parseBody(endpointSchema, body);
    return { url, enabled: await this.ledger.enableEndpoint(principal.tenant, url) };
  }
}
