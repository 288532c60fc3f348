import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import { GenerationStatus, generationRequestSchema, type GenerationRecord, type GenerationRequestInput } from '@atelier/contracts';
import type { Principal } from '@atelier/tenancy';
import { parseBody } from '../common/zod-body.js';
import { GenerationWaiter } from '../events/generation-waiter.js';
import { SubmitGenerations } from '../generations/submit-generations.js';
import { renameFields, type FieldNames } from './field-names.js';
import { GenerationOutcomeError } from './generation-outcome.error.js';
import { requestLimits } from '../common/request-limits.js';

export interface BlockingWait {
  readonly timeoutMs: number;
  /** Aborts the wait (not the job) when the caller disconnects. */
  readonly signal?: AbortSignal;
}

/**
 * The synchronous APIs (OpenAI Images, AUTOMATIC1111) on top of the asynchronous farm: a
 * translated request goes through the same validation and the same SubmitGenerations (resolver
 * and its access checks, quota, queue) as POST /v1/generations, and the call waits for the job's terminal record. The job is a normal
 * generation: it shows up in GET /v1/generations, progress streams and webhooks.
 */
@Injectable()
export class BlockingGenerator {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(SubmitGenerations) private readonly submit: SubmitGenerations,
    @Inject(GenerationWaiter) private readonly waiter: GenerationWaiter,
  ) {
    this.schema = generationRequestSchema(requestLimits(config));
  }

  /** The succeeded record; anything else is a GenerationOutcomeError (or a 4xx before queuing). */
  async run(principal: Principal, body: GenerationRequestInput, names: FieldNames, wait: BlockingWait): Promise<GenerationRecord> {
    let id: string;
    try {
      ({ id } = await this.submit.one(principal, parseBody(this.schema, body)));
    } catch (error) {
      throw renameFields(error, names);
    }
    const record = await this.waiter.terminal(id, wait.timeoutMs, wait.signal);
    if (!record) {
      const seconds = Math.round(wait.timeoutMs / 1000);
      throw new GenerationOutcomeError(
        HttpStatus.GATEWAY_TIMEOUT,
        'generation_timeout',
        `generation ${id} did not finish within ${seconds} s; it keeps running and GET /v1/generations/${id} returns its result`,
        id,
      );
    }
    if (record.status === GenerationStatus.Succeeded) return record;
    if (record.status === GenerationStatus.Canceled) throw new GenerationOutcomeError(HttpStatus.CONFLICT, 'generation_canceled', `generation ${id} was canceled`, id);
    const failure = record.error ?? { code: 'generation_failed', message: 'the generation failed' };
    throw new GenerationOutcomeError(HttpStatus.INTERNAL_SERVER_ERROR, failure.code, `generation ${id} failed: ${failure.message}`, id);
  }
}
