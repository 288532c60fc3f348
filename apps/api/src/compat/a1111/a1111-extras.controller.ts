import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@atelier/config';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import { AuthenticatedBy } from '../../auth/require-scope.decorator.js';
import { CompatAuthGuard } from '../compat-auth.guard.js';
import { blockingWait } from '../wait-budget.js';
import { A1111ErrorFilter } from './a1111-error.filter.js';
import { A1111Extras, type A1111Upscaler } from './a1111-extras.service.js';

/** AUTOMATIC1111's extras (upscale, face restoration) and its upscaler list, answered synchronously. */
@Controller('sdapi/v1')
@AuthenticatedBy(CompatAuthGuard)
@UseFilters(A1111ErrorFilter)
export class A1111ExtrasController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(A1111Extras) private readonly extras: A1111Extras,
  ) {}

  @Post('extra-single-image')
  @HttpCode(HttpStatus.OK)
  async single(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<{ html_info: string; image: string }> {
    return this.extras.single(principal, body, blockingWait(request, response, this.config));
  }

  @Post('extra-batch-images')
  @HttpCode(HttpStatus.OK)
  async batch(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<{ html_info: string; images: string[] }> {
    return this.extras.batch(principal, body, blockingWait(request, response, this.config));
  }

  @Get('upscalers')
  async upscalers(@CurrentPrincipal() principal: Principal): Promise<A1111Upscaler[]> {
    return this.extras.upscalers(principal);
  }
}
