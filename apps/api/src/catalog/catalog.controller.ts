import { Controller, Get, Inject } from '@nestjs/common';
import { listSchedulers } from '#libs/diffusion/src/schedulers/index.js';
import { listStyles } from '#libs/diffusion/src/text/index.js';
import { WorkerRegistry, type ModelSummary } from '#libs/queue/src/index.js';

@Controller('v1')
export class CatalogController {
  constructor(@Inject(WorkerRegistry) private readonly registry: WorkerRegistry) {}

  @Get('models')
  async models(): Promise<{ object: 'list'; data: ModelSummary[] }> {
    return { object: 'list', data: await this.registry.models() };
  }

  @Get('schedulers')
  schedulers(): { object: 'list'; data: ReturnType<typeof listSchedulers> } {
    return { object: 'list', data: listSchedulers() };
  }

  @Get('styles')
  styles(): { object: 'list'; data: ReturnType<typeof listStyles> } {
    return { object: 'list', data: listStyles() };
  }
}
