import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { JobName } from '@atelier/contracts';
import { WebhookLedger, type DeadLetter } from '@atelier/notifications';
import { WebhookSecretStore, type Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { ApiError } from '../common/api-error.js';
import { parseBody } from '../common/zod-body.js';
import { WEBHOOK_QUEUE } from '../infrastructure/tokens.js';
import { rotateSecretSchema, type RotatedSecretView, type WebhookSecretView } from './webhook-secret.views.js';

const endpointSchema = z.object({ url: z.url() }).strict();

@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WebhookLedger) private readonly ledger: WebhookLedger,
    @Inject(WEBHOOK_QUEUE) private readonly queue: Queue,
    @Inject(WebhookSecretStore) private readonly secrets: WebhookSecretStore,
  ) {}

  /** The caller's tenant's signing secret (created on first use), for its receivers to verify `webhook-signature`. */
  @Get('secret')
  async secret(@CurrentPrincipal() principal: Principal): Promise<WebhookSecretView> {
    this.refuseWithoutAuth();
    const { current, previous } = await this.secrets.secretsFor(principal.tenant);
    return { secret: current, scheme: 'standard-webhooks', previous_secret_expires_at: previous?.expiresAt.toISOString() ?? null };
  }

  /**
   * A new secret for the caller's tenant; the old one keeps signing beside it (two `v1,` entries)
   * until the overlap ends, so receivers can switch without losing deliveries. Same scope as
   * reading the secret: whoever can read it can already sign, and must be able to replace it.
   */
  @Post('secret/rotate')
  @HttpCode(HttpStatus.OK)
  async rotateSecret(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<RotatedSecretView> {
    this.refuseWithoutAuth();
    const { overlap_seconds: overlap = this.config.env.WEBHOOK_SECRET_ROTATION_OVERLAP_SECONDS } = parseBody(rotateSecretSchema, body);
    const rotated = await this.secrets.rotate(principal.tenant, overlap);
    return { secret: rotated.secret, scheme: 'standard-webhooks', overlap_seconds: overlap, previous_secret_expires_at: rotated.previousExpiresAt?.toISOString() ?? null };
  }

  private refuseWithoutAuth(): void {
    if (this.config.env.AUTH_DISABLED) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'auth_disabled', 'authentication is disabled, so the webhook secret is not served over HTTP; it is WEBHOOK_SECRET or the one in DATA_DIR/secrets.json');
    }
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
