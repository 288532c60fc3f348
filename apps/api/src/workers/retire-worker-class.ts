import { HttpStatus } from '@nestjs/common';
import type { WorkerRegistry } from '@atelier/queue';
import { ApiError } from '../common/api-error.js';

/**
 * Forgets a worker class. Refused (409) while workers of the class are live: their next heartbeat
 * would announce it again; stop (or drain and stop) them first.
 */
export async function retireWorkerClass(registry: WorkerRegistry, workerClass: string): Promise<void> {
  const live = (await registry.liveWorkers()).filter((worker) => worker.worker_class === workerClass);
  if (live.length > 0) {
    throw new ApiError(HttpStatus.CONFLICT, 'worker_class_live', `worker class ${workerClass} still has ${live.length} live worker(s) (${live.map((worker) => worker.id).join(', ')}); stop them first`);
  }
  if (!(await registry.retireClass(workerClass))) throw ApiError.notFound('worker class', workerClass);
}
