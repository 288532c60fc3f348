import { Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { WorkerRegistry, type WorkerClassRecord, type WorkerState } from '@atelier/queue';
import { Scope } from '@atelier/tenancy';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { ApiError } from '../common/api-error.js';
import { FarmCatalog } from '../routing/farm-catalog.js';
import { retireWorkerClass } from './retire-worker-class.js';

/** The fleet as operators see it, drain/undrain of single workers, and the known worker classes. */
@Controller('v1/workers')
@RequireScope(Scope.Admin)
export class WorkersController {
  constructor(
    @Inject(WorkerRegistry) private readonly registry: WorkerRegistry,
    @Inject(FarmCatalog) private readonly farm: FarmCatalog,
  ) {}

  /** Every class the farm remembers (its jobs are accepted at zero workers), with its live worker count. */
  @Get('classes')
  async classes(): Promise<{ object: 'list'; data: Array<WorkerClassRecord & { live_workers: number }> }> {
    const [classes, live] = await Promise.all([this.registry.classes(), this.registry.liveWorkers()]);
    return { object: 'list', data: classes.map((record) => ({ ...record, live_workers: live.filter((worker) => worker.worker_class === record.worker_class).length })) };
  }

  /** Retires a class an operator removed: its models are refused again and its queued jobs fail `no_capable_worker`. */
  @Delete('classes/:workerClass')
  async retire(@Param('workerClass') workerClass: string): Promise<{ worker_class: string; deleted: true }> {
    await retireWorkerClass(this.registry, workerClass);
    this.farm.invalidate();
    return { worker_class: workerClass, deleted: true };
  }

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
