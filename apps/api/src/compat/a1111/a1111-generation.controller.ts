import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import { AuthenticatedBy } from '../../auth/require-scope.decorator.js';
import { CompatAuthGuard } from '../compat-auth.guard.js';
import { blockingWait } from '../wait-budget.js';
import { A1111ErrorFilter } from './a1111-error.filter.js';
import { A1111Generation } from './a1111-generation.service.js';
import type { A1111Response } from './a1111-response.js';

/** AUTOMATIC1111's txt2img and img2img, answered synchronously from the queue. */
@Controller('sdapi/v1')
@AuthenticatedBy(CompatAuthGuard)
@UseFilters(A1111ErrorFilter)
export class A1111GenerationController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(A1111Generation) private readonly generation: A1111Generation,
  ) {}

  @Post('txt2img')
  @HttpCode(HttpStatus.OK)
  async txt2img(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<A1111Response> {
    return this.generation.generate('txt2img', principal, body, blockingWait(request, response, this.config));
  }

  @Post('img2img')
  @HttpCode(HttpStatus.OK)
  async img2img(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<A1111Response> {
    return this.generation.generate('img2img', principal, body, blockingWait(request, response, this.config));
  }
}
