import { Inject, Injectable } from '@nestjs/common';
import type { BatchRequest, GenerationRecord, GenerationRequest } from '@atelier/contracts';
import type { Principal } from '@atelier/tenancy';
import { GenerationSubmitter } from './generation-submitter.js';
import { RequestResolver } from './request-resolver.js';

/**
 * The one submit sequence of every entry point (POST /v1/generations, POST /v1/batches, OpenAI
 * Images, A1111 txt2img/img2img): resolve (complete job, access checked) → admit (the tenant's
 * queue quota, batch size) → record and enqueue. Entry points translate their body into a
 * GenerationRequest and call this; none assembles the steps itself, so none can skip one.
 */
@Injectable()
export class SubmitGenerations {
  constructor(
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(GenerationSubmitter) private readonly submitter: GenerationSubmitter,
  ) {}

  /** Queues one generation; returns its record as written. */
  async one(principal: Principal, body: GenerationRequest): Promise<GenerationRecord> {
    const submission = await this.resolver.resolve(principal, body);
    return this.submitter.submitOne(principal, submission);
  }

  /** Queues a batch: every item resolved first, so one bad item refuses the whole batch. */
  async batch(principal: Principal, body: BatchRequest): Promise<{ batchId: string; ids: string[] }> {
    const { submissions, webhook } = await this.resolver.resolveBatch(principal, body);
    return this.submitter.submitBatch(principal, submissions, webhook);
  }
}
