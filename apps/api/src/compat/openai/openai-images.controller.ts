import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import { parseBody } from '../../common/zod-body.js';
import { RequestResolver } from '../../generations/request-resolver.js';
import { OBJECT_STORAGE } from '../../infrastructure/tokens.js';
import { BlockingGenerator } from '../blocking-generator.js';
import { outputBytes } from '../stored-outputs.js';
import { waitBudgetMs } from '../wait-budget.js';
import { openAiImagesRequestSchema } from './images-request.schema.js';
import { OpenAiErrorFilter } from './openai-error.filter.js';
import { OPENAI_FIELD_NAMES, toGenerationRequest } from './to-generation-request.js';
import { requestLimits } from '../../common/request-limits.js';

type ImageDatum = { url: string } | { b64_json: string };

/** OpenAI Images API (`POST /v1/images/generations`), answered synchronously from the queue. */
@Controller('v1/images')
@UseFilters(OpenAiErrorFilter)
export class OpenAiImagesController {
  private readonly schema;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RequestResolver) private readonly resolver: RequestResolver,
    @Inject(BlockingGenerator) private readonly generator: BlockingGenerator,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {
    this.schema = openAiImagesRequestSchema(requestLimits(config));
  }

  @Post('generations')
  @HttpCode(HttpStatus.OK)
  async generate(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ created: number; data: ImageDatum[] }> {
    const parsed = parseBody(this.schema, body);
    const served = new Set((await this.resolver.catalog()).keys());
    const native = toGenerationRequest(parsed, served, this.config.env.DEFAULT_MODEL);
    const disconnected = new AbortController();
    response.on('close', () => disconnected.abort());
    const record = await this.generator.run(principal, native, OPENAI_FIELD_NAMES, {
      timeoutMs: waitBudgetMs(request.header('prefer'), this.config),
      signal: disconnected.signal,
    });
    const created = Math.floor(Date.parse(record.created_at) / 1000);
    if (parsed.response_format === 'b64_json') {
      return { created, data: (await outputBytes(record, this.storage)).map((bytes) => ({ b64_json: bytes.toString('base64') })) };
    }
    const outputs = [...record.outputs].sort((a, b) => a.index - b.index);
    const urls = await Promise.all(outputs.map((output) => this.storage.presignGet(output.key, this.config.env.PRESIGN_EXPIRES_SECONDS)));
    return { created, data: urls.map((url) => ({ url })) };
  }
}
