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

type Submit = (service: ImageTasksService, principal: Principal, body: unknown) => Promise<ImageTaskView>;

/**
 * One kind's routes: `POST /v1/<route>` (202, Location) and the per-kind aliases of the task
 * routes, where only tasks of that kind answer (another kind's id reads like a missing one).
 */
function kindController(route: string, kind: ImageTaskKind, submit: Submit) {
  @Controller(`v1/${route}`)
  class KindController {
    constructor(
      @Inject(ImageTasksService) readonly service: ImageTasksService,
      @Inject(EventStreams) readonly streams: EventStreams,
    ) {}

    @Post()
    @HttpCode(HttpStatus.ACCEPTED)
    async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<ImageTaskView> {
      const view = await submit(this.service, principal, body);
      response.setHeader('Location', `/v1/${route}/${view.id}`);
      return view;
    }

    @Get(':id')
    async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ImageTaskView> {
      return this.service.get(principal, id, kind);
    }

    @Post(':id/cancel')
    async cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) response: Response): Promise<ImageTaskView> {
      const { outcome, view } = await this.service.cancel(principal, id, kind);
      response.status(outcome === 'canceled' ? HttpStatus.OK : HttpStatus.ACCEPTED);
      return view;
    }

    @Get(':id/events')
    async events(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() response: Response): Promise<void> {
      await this.streams.imageTask(principal, id, kind, response);
    }
  }
  Object.defineProperty(KindController, 'name', { value: `${route.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase())}Controller` });
  return KindController;
}

/** `POST /v1/preprocess` and its aliases. */
export const PreprocessController = kindController('preprocess', ImageTaskKind.Preprocess, (service, principal, body) => service.preprocess(principal, body));
/** `POST /v1/upscales` and its aliases. */
export const UpscalesController = kindController('upscales', ImageTaskKind.Upscale, (service, principal, body) => service.upscale(principal, body));
/** `POST /v1/face-restorations` and its aliases. */
export const FaceRestorationsController = kindController('face-restorations', ImageTaskKind.FaceRestore, (service, principal, body) => service.faceRestore(principal, body));
/** `POST /v1/segmentations` and its aliases. */
export const SegmentationsController = kindController('segmentations', ImageTaskKind.Segment, (service, principal, body) => service.segment(principal, body));
