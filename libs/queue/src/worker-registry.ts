import type { RedisClient } from './redis-connection.js';
import { z } from 'zod';
import { modelSummarySchema, type ModelSummary } from '@atelier/contracts';

export { modelSummarySchema, type ModelSummary };
import type { RedisKeys } from './keys.js';
import { announcedOnnxModelSchema, workerClassSchema, type WorkerClassRecord } from './worker-classes.js';


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
  /** ONNX models (ControlNets, preprocessors, upscalers…) in its registry cache and MODELS_DIR. */
  onnx_models: z.array(announcedOnnxModelSchema).default([]),
  remote_models: z.boolean().default(false),
  image_task_queue: z.string().optional(),
  current_jobs: z.array(z.string()),
  jobs_done: z.number().int(),
  started_at: z.string(),
  last_heartbeat: z.string(),
});
export type WorkerState = z.infer<typeof workerStateSchema>;

/**
 * Workers announce themselves and the models they serve. A worker's entry expires when its
 * heartbeats stop; what its class announced (models, LoRAs, queue) stays until an operator
 * retires the class, so jobs for those models are still accepted at zero workers.
 */
export class WorkerRegistry {
  constructor(
    private readonly keys: RedisKeys,
    private readonly redis: RedisClient,
    private readonly ttlSeconds = 30,
  ) {}

  async heartbeat(state: WorkerState, models: readonly ModelSummary[]): Promise<void> {
    const pipeline = this.redis.multi();
    pipeline.set(this.keys.worker(state.id), JSON.stringify(state), 'EX', this.ttlSeconds);
    pipeline.zadd(this.keys.workers(), Date.now(), state.id);
    for (const model of models) pipeline.hset(this.keys.models(), model.id, JSON.stringify(model));
    // Last heartbeat wins: the workers of one class serve the same models (see README, "Worker classes").
    const announced: WorkerClassRecord = {
      worker_class: state.worker_class,
      queue: state.queue,
      models: state.models,
      loras: state.loras,
      embeddings: state.embeddings,
      onnx_models: state.onnx_models,
      remote_models: state.remote_models,
      image_task_queue: state.image_task_queue,
      last_seen: state.last_heartbeat,
    };
    pipeline.hset(this.keys.workerClasses(), state.worker_class, JSON.stringify(announced));
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

  /** Every worker class that has announced itself and not been retired, live workers or not. */
  async classes(): Promise<WorkerClassRecord[]> {
    const all = await this.redis.hgetall(this.keys.workerClasses());
    return Object.values(all)
      .map((value) => workerClassSchema.parse(JSON.parse(value)))
      .sort((a, b) => a.worker_class.localeCompare(b.worker_class));
  }

  /** Forgets a class (an operator removed it); its models are no longer accepted. False when unknown. */
  async retireClass(workerClass: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.workerClasses(), workerClass)) === 1;
  }

  /** Models some known worker class serves, whether or not one of its workers is live now. */
  async models(): Promise<ModelSummary[]> {
    const [classes, all] = await Promise.all([this.classes(), this.redis.hgetall(this.keys.models())]);
    const served = new Set(classes.flatMap((record) => record.models));
    return Object.values(all)
      .map((value) => modelSummarySchema.parse(JSON.parse(value)))
      .filter((model) => served.has(model.id))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
}
