import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '#libs/config/src/index.js';
import type { RequestLimits } from '#libs/contracts/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import { parseBody } from '../../common/zod-body.js';
import { RequestResolver } from '../../generations/request-resolver.js';
import { OBJECT_STORAGE } from '../../infrastructure/tokens.js';
import { BlockingGenerator } from '../blocking-generator.js';
import { CompatAuthGuard } from '../compat-auth.guard.js';
import { AuthenticatedBy } from '../../auth/require-scope.decorator.js';
import { pngParameters } from '../png-parameters.js';
import { outputBytes } from '../stored-outputs.js';
import { waitBudgetMs } from '../wait-budget.js';
import { A1111ErrorFilter } from './a1111-error.filter.js';
import { img2imgRequestSchema, txt2imgRequestSchema, type A1111Kind, type A1111Request } from './a1111-request.schema.js';
import { toA1111Response, type A1111Response } from './a1111-response.js';
import { A1111_FIELD_NAMES, toGenerationRequest } from './to-generation-request.js';
import { requestLimits } from '../../common/request-limits.js';

/** AUTOMATIC1111's txt2img and img2img, answered synchronously from the queue. */
@Controller('sdapi/v1')
@AuthenticatedBy(CompatAuthGuard)
@UseFilters(A1111ErrorFilter)
export class A1111GenerationController {
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

  @Post('txt2img')
  @HttpCode(HttpStatus.OK)
  async txt2img(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<A1111Response> {
    return this.generate('txt2img', parseBody(this.schemas.txt2img, body), principal, request, response);
  }

  @Post('img2img')
  @HttpCode(HttpStatus.OK)
  async img2img(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<A1111Response> {
    return this.generate('img2img', parseBody(this.schemas.img2img, body), principal, request, response);
  }

  private async generate(kind: A1111Kind, body: A1111Request, principal: Principal, request: Request, response: Response): Promise<A1111Response> {
    const native = toGenerationRequest(kind, body, {
      models: await this.resolver.catalog(),
      defaultModel: this.config.env.DEFAULT_MODEL,
      maxSamples: this.limits.maxSamples,
    });
    const disconnected = new AbortController();
    response.on('close', () => disconnected.abort());
    const record = await this.generator.run(principal, native, A1111_FIELD_NAMES, {
      timeoutMs: waitBudgetMs(request.header('prefer'), this.config),
      signal: disconnected.signal,
    });
    const images = await outputBytes(record, this.storage);
    return toA1111Response(kind, body, record, images, images.map(pngParameters));
  }
}
