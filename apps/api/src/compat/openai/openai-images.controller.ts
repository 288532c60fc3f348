import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import { blockingWait } from '../wait-budget.js';
import { OpenAiErrorFilter } from './openai-error.filter.js';
import { OpenAiImages, type OpenAiImagesResponse } from './openai-images.service.js';

/** OpenAI Images API (`POST /v1/images/generations`), answered synchronously from the queue. */
@Controller('v1/images')
@UseFilters(OpenAiErrorFilter)
export class OpenAiImagesController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OpenAiImages) private readonly images: OpenAiImages,
  ) {}

  @Post('generations')
  @HttpCode(HttpStatus.OK)
  async generate(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<OpenAiImagesResponse> {
    return this.images.generate(principal, body, blockingWait(request, response, this.config));
  }
}
