import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import { batchRequestSchema } from '#libs/contracts/src/index.js';
import { BatchStore, GenerationStore, toBatchView, type BatchView } from '#libs/records/src/index.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { ApiError } from '../common/api-error.js';
import { InlineImageValidator } from '../generations/inline-image-validator.js';
import { parseBody } from '../common/zod-body.js';
import { GenerationSubmitter } from '../generations/generation-submitter.js';
import { RequestResolver } from '../generations/request-resolver.js';
import { requestLimits } from '../common/request-limits.js';

const pageQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

interface BatchPage extends BatchView {
  readonly generations: { readonly data: Array<{ id: string; status: string }>; readonly offset: number; readonly limit: number; readonly total: number };
}

@Controller('v1/batches')
export class BatchesController {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(GenerationSubmitter) private readonly submitter: GenerationSubmitter,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(InlineImageValidator) private readonly inlineImages: InlineImageValidator,
  ) {
    this.schema = batchRequestSchema(config.env.MAX_BATCH_SIZE, requestLimits(config));
  }

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<BatchPage> {
    const batch = parseBody(this.schema, body);
    const webhookProblem = batch.webhook ? this.resolver.webhookProblem(batch.webhook.url) : undefined;
    if (webhookProblem) throw ApiError.field('webhook.url', webhookProblem);
    const catalog = await this.resolver.catalog(batch.requests.map((request) => request.model));
    const loras = await this.resolver.loras(principal.tenant);
    const submissions = batch.requests.map((request, index) => this.resolver.resolve(request, catalog, `requests.${index}.`, loras));
    for (const [index, submission] of submissions.entries()) {
      await this.inlineImages.check(submission.request, `requests.${index}.`);
    }
    const { batchId } = await this.submitter.submitBatch(principal, submissions, batch.webhook);
    response.setHeader('Location', `/v1/batches/${batchId}`);
    return this.page(principal, batchId, 0, 100);
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: unknown): Promise<BatchPage> {
    const { offset, limit } = parseBody(pageQuerySchema, query);
    return this.page(principal, id, offset, limit);
  }

  private async page(principal: Principal, id: string, offset: number, limit: number): Promise<BatchPage> {
    const batch = await this.batches.get(id);
    if (!batch || batch.tenant !== principal.tenant) throw ApiError.notFound('batch', id);
    const ids = await this.batches.items(id, offset, limit);
    const records = await this.generations.getMany(ids);
    return {
      ...toBatchView(batch),
      generations: {
        data: ids.map((generationId, index) => ({ id: generationId, status: records[index]?.status ?? 'unknown' })),
        offset,
        limit,
        total: batch.total,
      },
    };
  }
}
