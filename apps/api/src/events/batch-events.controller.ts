import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BatchStore } from '#libs/records/src/index.js';
import type { Principal } from '#libs/tenancy/src/index.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { requireAccess } from '../common/require-access.js';
import { BatchSource } from './batch-source.js';
import { streamRecord } from './record-stream.js';

/** GET /v1/batches/{id}/events: per-state counts as they change, then `completed`. */
@Controller('v1/batches')
export class BatchEventsController {
  constructor(@Inject(BatchStore) private readonly batches: BatchStore) {}

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    requireAccess(principal, await this.batches.get(id), 'batch', id);
    await streamRecord(response, new BatchSource(id, this.batches));
  }
}
