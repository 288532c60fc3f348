import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { parseBody } from '../common/zod-body.js';
import { BatchesService, type BatchPage } from './batches.service.js';

const pageQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

@Controller('v1/batches')
export class BatchesController {
  constructor(@Inject(BatchesService) private readonly service: BatchesService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<BatchPage> {
    const page = await this.service.create(principal, body);
    response.setHeader('Location', `/v1/batches/${page.id}`);
    return page;
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: unknown): Promise<BatchPage> {
    const { offset, limit } = parseBody(pageQuerySchema, query);
    return this.service.page(principal, id, offset, limit);
  }
}
