import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { EventStreams } from './event-streams.service.js';

/** GET /v1/batches/{id}/events: per-state counts as they change, then `completed`. */
@Controller('v1/batches')
export class BatchEventsController {
  constructor(@Inject(EventStreams) private readonly streams: EventStreams) {}

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    await this.streams.batch(principal, id, response);
  }
}
