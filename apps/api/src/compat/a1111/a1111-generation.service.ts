import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { RequestLimits } from '@atelier/contracts';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { parseBody } from '../../common/zod-body.js';
import { requestLimits } from '../../common/request-limits.js';
import { RequestResolver } from '../../generations/request-resolver.js';
import { OBJECT_STORAGE } from '../../infrastructure/tokens.js';
import { BlockingGenerator, type BlockingWait } from '../blocking-generator.js';
import { pngParameters } from '../png-parameters.js';
import { finalOutputs, outputBytes } from '../stored-outputs.js';
import { img2imgRequestSchema, txt2imgRequestSchema, type A1111Kind } from './a1111-request.schema.js';
import { toA1111Response, type A1111Response } from './a1111-response.js';
import { toGenerationRequest } from './to-generation-request.js';

/** AUTOMATIC1111 txt2img/img2img: translate the body, run it as a normal generation, answer in A1111's shape. */
@Injectable()
export class A1111Generation {
  private readonly schemas;
  private readonly limits: RequestLimits;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(BlockingGenerator) private readonly generator: BlockingGenerator,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {
    this.limits = requestLimits(config);
    this.schemas = { txt2img: txt2imgRequestSchema(this.limits), img2img: img2imgRequestSchema(this.limits) };
  }

  async generate(kind: A1111Kind, principal: Principal, input: unknown, wait: BlockingWait): Promise<A1111Response> {
    const body = parseBody(this.schemas[kind], input);
    const { request: native, fieldNames } = toGenerationRequest(kind, body, {
      models: await this.resolver.catalog(),
      defaultModel: this.config.env.DEFAULT_MODEL,
      maxSamples: this.limits.maxSamples,
    });
    const record = finalOutputs(await this.generator.run(principal, native, fieldNames, wait));
    const images = await outputBytes(record, this.storage);
    return toA1111Response(kind, body, record, images, images.map(pngParameters));
  }
}
