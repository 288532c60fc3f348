import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { TrainingView } from '@atelier/records';
import { Scope, type Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { TrainingsService } from './trainings.service.js';

/** LoRA trainings: their own queue, taken only by workers that declare they train. */
@Controller('v1/trainings')
@RequireScope(Scope.Train)
export class TrainingsController {
  constructor(@Inject(TrainingsService) private readonly service: TrainingsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<TrainingView> {
    const view = await this.service.create(principal, body);
    response.setHeader('Location', `/v1/trainings/${view.id}`);
    return view;
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TrainingView> {
    return this.service.get(principal, id);
  }

  /** 200 when the training is canceled now (or was already), 202 when its worker was asked to stop. */
  @Post(':id/cancel')
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<TrainingView> {
    const { outcome, view } = await this.service.cancel(principal, id);
    response.status(outcome === 'canceled' ? HttpStatus.OK : HttpStatus.ACCEPTED);
    return view;
  }
}
