import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { z } from 'zod';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { GenerationStatus, generationRequestSchema, type GenerationRecord, type GenerationView } from '#libs/contracts/src/index.js';
import { GenerationLifecycle } from '#libs/lifecycle/src/index.js';
import { WebhookLedger, type DeliveryAttempt } from '#libs/notifications/src/index.js';
import { CancelChannel } from '#libs/queue/src/index.js';
import { GenerationStore, refOf, toGenerationView } from '#libs/records/src/index.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { InlineImageValidator } from './inline-image-validator.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import { ApiError } from '../common/api-error.js';
import { parseBody } from '../common/zod-body.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { QueueRouter } from '../routing/queue-router.js';
import { GenerationSubmitter } from './generation-submitter.js';
import { RequestResolver } from './request-resolver.js';
import { requestLimits } from '../common/request-limits.js';

const listQuerySchema = z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

@Controller('v1/generations')
export class GenerationsController {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(GenerationSubmitter) private readonly submitter: GenerationSubmitter,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(QueueRouter) private readonly router: QueueRouter,
    @Inject(CancelChannel) private readonly cancelChannel: CancelChannel,
    @Inject(GenerationLifecycle) private readonly lifecycle: GenerationLifecycle,
    @Inject(InlineImageValidator) private readonly inlineImages: InlineImageValidator,
    @Inject(WebhookLedger) private readonly ledger: WebhookLedger,
  ) {
    this.schema = generationRequestSchema(requestLimits(config));
  }

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<GenerationView & { webhook_deliveries: DeliveryAttempt[] }> {
    const request = parseBody(this.schema, body);
    const submission = this.resolver.resolve(request, await this.resolver.catalog([request.model]), '', await this.resolver.loras(principal.tenant));
    await this.inlineImages.check(submission.request);
    const record = await this.submitter.submitOne(principal, submission);
    response.setHeader('Location', `/v1/generations/${record.id}`);
    // Answered from the record just written (status queued; no delivery can exist yet): no re-read.
    return { ...(await toGenerationView(record, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS)), webhook_deliveries: [] };
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<{ object: 'list'; data: GenerationView[]; offset: number; limit: number }> {
    const { offset, limit } = parseBody(listQuerySchema, query);
    const records = await this.generations.recent(principal.tenant, offset, limit);
    const data = await Promise.all(records.map((record) => toGenerationView(record, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS)));
    return { object: 'list', data, offset, limit };
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<GenerationView> {
    return this.view(principal, id);
  }

  @Post(':id/cancel')
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<GenerationView> {
    const record = await this.owned(principal, id);
    if (record.status === GenerationStatus.Succeeded || record.status === GenerationStatus.Failed) {
      throw new ApiError(HttpStatus.CONFLICT, 'already_finished', `generation ${id} already ${record.status}`);
    }
    if (record.status === GenerationStatus.Queued) {
      // Its generation.canceled (and batch.completed) webhooks are recorded in the same atomic step.
      const result = await this.lifecycle.cancel(refOf(record), [GenerationStatus.Queued], new Date());
      if (result.applied) {
        // A job that a worker locked meanwhile cannot be removed; that worker sees the status and skips it.
        await this.router.queue(record.queue).remove(id).catch(() => 0);
        response.status(HttpStatus.OK);
        return this.view(principal, id);
      }
    }
    if (record.status !== GenerationStatus.Canceled) {
      await this.generations.requestCancel(id);
      await this.cancelChannel.requestCancel(id);
      response.status(HttpStatus.ACCEPTED);
    } else {
      response.status(HttpStatus.OK);
    }
    return this.view(principal, id);
  }

  /** Another tenant's generation is indistinguishable from a missing one. */
  private async owned(principal: Principal, id: string): Promise<GenerationRecord> {
    const record = await this.generations.get(id);
    if (!record || record.tenant !== principal.tenant) throw ApiError.notFound('generation', id);
    return record;
  }

  private async view(principal: Principal, id: string): Promise<GenerationView & { webhook_deliveries: DeliveryAttempt[] }> {
    const view = await toGenerationView(await this.owned(principal, id), this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS);
    return { ...view, webhook_deliveries: await this.ledger.attempts({ kind: 'generation', id }) };
  }
}
