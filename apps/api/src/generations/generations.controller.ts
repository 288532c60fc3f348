import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { z } from 'zod';
import type { Response } from 'express';
import type { GenerationView } from '@atelier/contracts';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { parseBody } from '../common/zod-body.js';
import { GenerationsService, type GenerationDetail } from './generations.service.js';

const listQuerySchema = z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();

@Controller('v1/generations')
export class GenerationsController {
  constructor(@Inject(GenerationsService) private readonly service: GenerationsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<GenerationDetail> {
    const view = await this.service.create(principal, body);
    response.setHeader('Location', `/v1/generations/${view.id}`);
    return view;
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown): Promise<{ object: 'list'; data: GenerationView[]; offset: number; limit: number }> {
    const { offset, limit } = parseBody(listQuerySchema, query);
    return { object: 'list', data: await this.service.list(principal, offset, limit), offset, limit };
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<GenerationDetail> {
    return this.service.get(principal, id);
  }

  /** 200 when the generation is canceled now (or was already), 202 when its worker was asked to stop. */
  @Post(':id/cancel')
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<GenerationDetail> {
    const { outcome, view } = await this.service.cancel(principal, id);
    response.status(outcome === 'canceled' ? HttpStatus.OK : HttpStatus.ACCEPTED);
    return view;
  }
}
