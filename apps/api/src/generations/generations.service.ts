import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { generationRequestSchema, type GenerationRecord, type GenerationView } from '@atelier/contracts';
import { WebhookLedger, type DeliveryAttempt } from '@atelier/notifications';
import { GenerationStore, toGenerationView } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { requestLimits } from '../common/request-limits.js';
import { requireAccess } from '../common/require-access.js';
import { parseBody } from '../common/zod-body.js';
import { OBJECT_STORAGE } from '../infrastructure/tokens.js';
import { CancelGeneration, type CancelOutcome } from './cancel-generation.js';
import { SubmitGenerations } from './submit-generations.js';

export type GenerationDetail = GenerationView & { webhook_deliveries: DeliveryAttempt[] };

/** What the /v1/generations routes do; the controller only maps it onto HTTP. */
@Injectable()
export class GenerationsService {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SubmitGenerations) private readonly submit: SubmitGenerations,
    @Inject(CancelGeneration) private readonly canceler: CancelGeneration,
    @Inject(GenerationStore) private readonly generations: GenerationStore,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(WebhookLedger) private readonly ledger: WebhookLedger,
  ) {
    this.schema = generationRequestSchema(requestLimits(config));
  }

  async create(principal: Principal, body: unknown): Promise<GenerationDetail> {
    const record = await this.submit.one(principal, parseBody(this.schema, body));
    // Answered from the record just written (status queued; no delivery can exist yet): no re-read.
    return { ...(await this.toView(record)), webhook_deliveries: [] };
  }

  async list(principal: Principal, offset: number, limit: number): Promise<GenerationView[]> {
    const records = await this.generations.recent(principal.tenant, offset, limit);
    return Promise.all(records.map((record) => this.toView(record)));
  }

  async get(principal: Principal, id: string): Promise<GenerationDetail> {
    const view = await this.toView(await this.owned(principal, id));
    return { ...view, webhook_deliveries: await this.ledger.attempts({ kind: 'generation', id }) };
  }

  async cancel(principal: Principal, id: string): Promise<{ outcome: CancelOutcome; view: GenerationDetail }> {
    const outcome = await this.canceler.cancel(await this.owned(principal, id));
    return { outcome, view: await this.get(principal, id) };
  }

  private async owned(principal: Principal, id: string): Promise<GenerationRecord> {
    return requireAccess(principal, await this.generations.get(id), 'generation', id);
  }

  private toView(record: GenerationRecord): Promise<GenerationView> {
    return toGenerationView(record, this.storage, this.config.env.PRESIGN_EXPIRES_SECONDS);
  }
}
