import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { batchRequestSchema } from '@atelier/contracts';
import { BatchStore, GenerationStore, toBatchView, type BatchView } from '@atelier/records';
import type { Principal } from '@atelier/tenancy';
import { requestLimits } from '../common/request-limits.js';
import { requireAccess } from '../common/require-access.js';
import { parseBody } from '../common/zod-body.js';
import { SubmitGenerations } from '../generations/submit-generations.js';

export interface BatchPage extends BatchView {
  readonly generations: { readonly data: Array<{ id: string; status: string }>; readonly offset: number; readonly limit: number; readonly total: number };
}

/** What the /v1/batches routes do; the controller only maps it onto HTTP. */
@Injectable()
export class BatchesService {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SubmitGenerations) private readonly submit: SubmitGenerations,
    @Inject(BatchStore) private readonly batches: BatchStore,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
  ) {
    this.schema = batchRequestSchema(config.env.MAX_BATCH_SIZE, requestLimits(config));
  }

  /** Queues the batch and answers its first page. */
  async create(principal: Principal, body: unknown): Promise<BatchPage> {
    const { batchId } = await this.submit.batch(principal, parseBody(this.schema, body));
    return this.page(principal, batchId, 0, 100);
  }

  async page(principal: Principal, id: string, offset: number, limit: number): Promise<BatchPage> {
    const batch = requireAccess(principal, await this.batches.get(id), 'batch', id);
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
