import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Scope, type Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { EventStreams } from './event-streams.service.js';

/** GET /v1/trainings/{id}/events: a training's progress, losses, checkpoints and samples live. */
@Controller('v1/trainings')
@RequireScope(Scope.Train)
export class TrainingEventsController {
  constructor(@Inject(EventStreams) private readonly streams: EventStreams) {}

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    await this.streams.training(principal, id, response);
  }
}
