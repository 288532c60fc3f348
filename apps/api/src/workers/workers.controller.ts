import { Controller, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { WorkerRegistry, type WorkerState } from '#libs/queue/src/index.js';
import { Scope } from '#libs/tenancy/src/index.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { ApiError } from '../common/api-error.js';

/** The fleet as operators see it, and drain/undrain of single workers. */
@Controller('v1/workers')
@RequireScope(Scope.Admin)
export class WorkersController {
  constructor(@Inject(WorkerRegistry) private readonly registry: WorkerRegistry) {}

  @Get()
  async list(): Promise<{ object: 'list'; data: WorkerState[] }> {
    return { object: 'list', data: await this.registry.liveWorkers() };
  }

  @Post(':id/drain')
  @HttpCode(HttpStatus.ACCEPTED)
  async drain(@Param('id') id: string): Promise<{ id: string; draining: true }> {
    await this.requireLive(id);
    await this.registry.setDraining(id, true);
    return { id, draining: true };
  }

  @Post(':id/undrain')
  @HttpCode(HttpStatus.ACCEPTED)
  async undrain(@Param('id') id: string): Promise<{ id: string; draining: false }> {
    await this.requireLive(id);
    await this.registry.setDraining(id, false);
    return { id, draining: false };
  }

  private async requireLive(id: string): Promise<void> {
    if (!(await this.registry.liveWorkers()).some((worker) => worker.id === id)) throw ApiError.notFound('live worker', id);
  }
}
