import { Inject, Injectable } from '@nestjs/common';
import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import { PREPROCESSOR_MODEL_FOLDER, QueueName, type ControlNetPreprocessor } from '@atelier/contracts';
import { JobRuntime } from '@atelier/jobs';
import { classMeets, requirementsOf, type WorkerClassRecord, type WorkerState } from '@atelier/queue';
import { ApiError } from '../common/api-error.js';
import { FarmCatalog, type CatalogSnapshot } from './farm-catalog.js';

export interface RoutedRequest {
  readonly model: string;
  readonly refiner: boolean;
  readonly loras: ReadonlyArray<{ readonly name: string }>;
  readonly controlnets?: ReadonlyArray<{ readonly model: string; readonly preprocessor: ControlNetPreprocessor }>;
  /** The registry ONNX models it runs, by announced name (ResolvedGeneration.onnx_models). */
  readonly onnx_models?: ReadonlyArray<{ readonly kind: string; readonly name: string }>;
}

/** The model folder a ControlNet preprocessor needs on the worker (none for canny and none). */
export function preprocessorFolder(preprocessor: string): string | undefined {
  return PREPROCESSOR_MODEL_FOLDER[preprocessor as ControlNetPreprocessor];
}

/**
 * Capability routing: a job goes to the queue of a worker class that serves its model (and its
 * refiner, LoRAs and ONNX models: ControlNets, their preprocessor models, IP-Adapters), preferring classes with live workers that take jobs, then the least loaded.
 * A known class with zero workers still gets the job: its queue is what an autoscaler watches.
 * A job no class fully meets goes to a class serving its model; the watchdog fails it
 * `no_capable_worker` if that stays so.
 */
@Injectable()
export class QueueRouter {
  constructor(
    @Inject(JobRuntime) private readonly jobs: JobRuntime,
    @Inject(FarmCatalog) private readonly catalog: FarmCatalog,
  ) {}

  /** A generation queue by name (`generation`, `generation-<class>`), opened once by the job runtime. */
  queue(name: string): Queue {
    return this.jobs.queue(QueueName.Generation, name);
  }

  /**
   * Adds one job together with the writes `alongside` queues, in one MULTI on the queue's own
   * connection: atomic (no job without its record, no record without its job) and one round trip.
   * Same job options as `queue.add` (the queue's defaults under `job.opts`).
   */
  async enqueueWith(queueName: string, alongside: (multi: ChainableCommander) => void, job: { name: string; data: unknown; opts: JobsOptions & { jobId: string } }): Promise<void> {
    await this.enqueueOn(this.queue(queueName), alongside, job);
  }

  /** enqueueWith on any queue of the job runtime (image tasks use their own). */
  async enqueueOn(queue: Queue, alongside: (multi: ChainableCommander) => void, job: { name: string; data: unknown; opts: JobsOptions & { jobId: string } }): Promise<void> {
    // BullMQ's view of its connection: a MULTI from it takes BullMQ's script calls (runCommand) and
    // is, underneath, an ioredis MULTI on this.redis, so the other writes go on it as they are.
    const multi = (await queue.getBackend().client).multi();
    alongside(multi as unknown as ChainableCommander);
    // Job#addJob only queues its script call on the MULTI (it settles before anything is sent, and
    // rejects on invalid options); the job's reply comes from exec() with the others.
    await new Job(queue, job.name, job.data, { ...queue.defaultJobOptions, ...job.opts }, job.opts.jobId).addJob(multi);
    const replies = await multi.exec();
    if (!replies) throw new Error(`enqueueing ${job.opts.jobId} was aborted`);
    for (const [error, reply] of replies) {
      if (error) throw error;
      if (typeof reply === 'number' && reply < 0) throw new Error(`BullMQ refused job ${job.opts.jobId} (code ${reply})`);
    }
  }

  /** Queues of every known class (live workers or not) and any this API has used, for metrics and the watchdog. */
  async knownQueues(): Promise<string[]> {
    const snapshot = await this.catalog.snapshot();
    return [...new Set([...snapshot.classes.map((record) => record.queue), ...snapshot.live.map((worker) => worker.queue), ...this.jobs.queueNames(QueueName.Generation)])].sort();
  }

  async liveWorkers(): Promise<WorkerState[]> {
    return [...(await this.catalog.snapshot()).live];
  }

  async route(request: RoutedRequest): Promise<string> {
    let snapshot = await this.catalog.snapshot();
    let candidates = this.candidates(snapshot, request);
    if (candidates.length === 0) {
      // The cache may predate a worker that just started or just picked up this model.
      this.catalog.invalidate();
      snapshot = await this.catalog.snapshot();
      candidates = this.candidates(snapshot, request);
    }
    if (candidates.length === 0) throw ApiError.field('model', `no worker class serves model "${request.model}"`);
    const tier = (record: WorkerClassRecord): number => {
      const workers = snapshot.live.filter((worker) => worker.worker_class === record.worker_class);
      if (workers.some((worker) => !worker.draining)) return 0;
      return workers.length > 0 ? 1 : 2;
    };
    const best = Math.min(...candidates.map(tier));
    const queues = [...new Set(candidates.filter((record) => tier(record) === best).map((record) => record.queue))];
    if (queues.length === 1) return queues[0];
    const loads = await Promise.all(queues.map(async (name) => (await this.queue(name).getJobCounts('waiting', 'prioritized')) as Record<string, number>));
    const backlog = (load: Record<string, number>): number => (load.waiting ?? 0) + (load.prioritized ?? 0);
    let chosen = 0;
    loads.forEach((load, index) => {
      if (backlog(load) < backlog(loads[chosen])) chosen = index;
    });
    return queues[chosen];
  }

  private candidates(snapshot: CatalogSnapshot, request: RoutedRequest): WorkerClassRecord[] {
    const requirements = requirementsOf(request, (model) => snapshot.models.get(model)?.refiner, preprocessorFolder);
    const meeting = snapshot.classes.filter((record) => classMeets(record, requirements, snapshot.imported));
    if (meeting.length > 0) return meeting;
    return snapshot.classes.filter((record) => classMeets(record, { models: [request.model], loras: [] }, snapshot.imported));
  }
}
