import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ImageTaskKind } from '@atelier/contracts';
import type { ImageTaskView } from '@atelier/records';
import type { Principal } from '@atelier/tenancy';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { EventStreams } from '../events/event-streams.service.js';
import { ImageTasksService } from './image-tasks.service.js';

/** Every image task, whatever its kind: `GET /v1/tasks/{id}`, its cancel and its events. */
@Controller('v1/tasks')
export class ImageTasksController {
  constructor(
    @Inject(ImageTasksService) private readonly service: ImageTasksService,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {}

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ImageTaskView> {
    return this.service.get(principal, id);
  }

  /** 200 when the task is canceled now (or was already), 202 when its worker was asked to stop. */
  @Post(':id/cancel')
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<ImageTaskView> {
    const { outcome, view } = await this.service.cancel(principal, id);
    response.status(outcome === 'canceled' ? HttpStatus.OK : HttpStatus.ACCEPTED);
    return view;
  }

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    await this.streams.imageTask(principal, id, undefined, response);
  }
}

/** `POST /v1/preprocess` and the per-kind aliases of the task routes (only preprocess tasks answer). */
@Controller('v1/preprocess')
export class PreprocessController {
  constructor(
    @Inject(ImageTasksService) private readonly service: ImageTasksService,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<ImageTaskView> {
    const view = await this.service.preprocess(principal, body);
    response.setHeader('Location', `/v1/preprocess/${view.id}`);
    return view;
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ImageTaskView> {
    return this.service.get(principal, id, ImageTaskKind.Preprocess);
  }

  @Post(':id/cancel')
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<ImageTaskView> {
    const { outcome, view } = await this.service.cancel(principal, id, ImageTaskKind.Preprocess);
    response.status(outcome === 'canceled' ? HttpStatus.OK : HttpStatus.ACCEPTED);
    return view;
  }

  @Get(':id/events')
  async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
    await this.streams.imageTask(principal, id, ImageTaskKind.Preprocess, response);
  }
}
