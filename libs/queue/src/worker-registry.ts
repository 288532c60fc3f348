import type { Redis } from 'ioredis';
import { z } from 'zod';
import { modelSummarySchema, type ModelSummary } from '#libs/contracts/src/index.js';

export { modelSummarySchema, type ModelSummary };
import type { RedisKeys } from './keys.js';


export const gpuInfoSchema = z.object({
  name: z.string(),
  memory_total_bytes: z.number(),
  memory_used_bytes: z.number(),
  utilization_ratio: z.number(),
});
export type GpuInfo = z.infer<typeof gpuInfoSchema>;

export const workerStateSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  worker_class: z.string(),
  queue: z.string(),
  draining: z.boolean(),
  trains: z.boolean(),
  gpu: gpuInfoSchema.nullable(),
  execution_provider: z.string(),
  concurrency: z.number().int(),
  models: z.array(z.string()),
  loras: z.array(z.string()).default([]),
  embeddings: z.array(z.string()).default([]),
  current_jobs: z.array(z.string()),
  jobs_done: z.number().int(),
  started_at: z.string(),
  last_heartbeat: z.string(),
});
export type WorkerState = z.infer<typeof workerStateSchema>;

/** Workers announce themselves and the models they serve; entries expire when heartbeats stop. */
export class WorkerRegistry {
  constructor(
    private readonly keys: RedisKeys,
    private readonly redis: Redis,
    private readonly ttlSeconds = 30,
  ) {}

  async heartbeat(state: WorkerState, models: readonly ModelSummary[]): Promise<void> {
    const pipeline = this.redis.multi();
    pipeline.set(this.keys.worker(state.id), JSON.stringify(state), 'EX', this.ttlSeconds);
    pipeline.zadd(this.keys.workers(), Date.now(), state.id);
    for (const model of models) pipeline.hset(this.keys.models(), model.id, JSON.stringify(model));
    await pipeline.exec();
  }

  controlChannel(): string {
    return `${this.keys.prefix}:worker-control`;
  }

  /** Asks one worker to stop taking jobs (drain) or to take them again; remembered across restarts. */
  async setDraining(workerId: string, draining: boolean): Promise<void> {
    const key = `${this.keys.worker(workerId)}:drain`;
    if (draining) await this.redis.set(key, '1');
    else await this.redis.del(key);
    await this.redis.publish(this.controlChannel(), JSON.stringify({ workerId, draining }));
  }

  async isDrainRequested(workerId: string): Promise<boolean> {
    return (await this.redis.exists(`${this.keys.worker(workerId)}:drain`)) === 1;
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(workerId)).zrem(this.keys.workers(), workerId).exec();
  }

  async liveWorkers(): Promise<WorkerState[]> {
    const ids = await this.redis.zrange(this.keys.workers(), 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
    const stale = ids.filter((_, index) => values[index] === null);
    if (stale.length > 0) await this.redis.zrem(this.keys.workers(), ...stale);
    return values.flatMap((value) => (value ? [workerStateSchema.parse(JSON.parse(value))] : []));
  }

  /** Models any live worker serves (a model stays listed only while a worker serving it lives). */
  async models(): Promise<ModelSummary[]> {
    const [workers, all] = await Promise.all([this.liveWorkers(), this.redis.hgetall(this.keys.models())]);
    const served = new Set(workers.flatMap((worker) => worker.models));
    return Object.values(all)
      .map((value) => modelSummarySchema.parse(JSON.parse(value)))
      .filter((model) => served.has(model.id))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
