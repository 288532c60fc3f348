import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { ObjectStorage } from '@atelier/storage';
import type { Principal } from '@atelier/tenancy';
import { parseBody } from '../../common/zod-body.js';
import { requestLimits } from '../../common/request-limits.js';
import { RequestResolver } from '../../generations/request-resolver.js';
import { OBJECT_STORAGE } from '../../infrastructure/tokens.js';
import { BlockingGenerator, type BlockingWait } from '../blocking-generator.js';
import { outputBytes } from '../stored-outputs.js';
import { openAiImagesRequestSchema } from './images-request.schema.js';
import { OPENAI_FIELD_NAMES, toGenerationRequest } from './to-generation-request.js';

type ImageDatum = { url: string } | { b64_json: string };
export interface OpenAiImagesResponse {
  readonly created: number;
  readonly data: ImageDatum[];
}

/** OpenAI Images: translate the body, run it as a normal generation and answer in OpenAI's shape. */
@Injectable()
export class OpenAiImages {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(BlockingGenerator) private readonly generator: BlockingGenerator,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {
    this.schema = openAiImagesRequestSchema(requestLimits(config));
  }

  async generate(principal: Principal, body: unknown, wait: BlockingWait): Promise<OpenAiImagesResponse> {
    const parsed = parseBody(this.schema, body);
    const served = new Set((await this.resolver.catalog()).keys());
    const record = await this.generator.run(principal, toGenerationRequest(parsed, served, this.config.env.DEFAULT_MODEL), OPENAI_FIELD_NAMES, wait);
    const created = Math.floor(Date.parse(record.created_at) / 1000);
    if (parsed.response_format === 'b64_json') {
      return { created, data: (await outputBytes(record, this.storage)).map((bytes) => ({ b64_json: bytes.toString('base64') })) };
    }
    const outputs = [...record.outputs].sort((a, b) => a.index - b.index);
    const urls = await Promise.all(outputs.map((output) => this.storage.presignGet(output.key, this.config.env.PRESIGN_EXPIRES_SECONDS)));
    return { created, data: urls.map((url) => ({ url })) };
  }
}
