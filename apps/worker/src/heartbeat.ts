import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from '@atelier/config';
import type { FarmMetrics } from '@atelier/metrics';
import type { GpuInfo, ModelSummary, WorkerRegistry } from '@atelier/queue';
import { listOnnxModels, syncAdapters, syncOnnxModels, type AdapterRegistry, type AnnouncedOnnxModel, type OnnxModelRegistry } from '@atelier/registry';
import type { ObjectStorage } from '@atelier/storage';
import type { ActiveJobs } from './active-jobs.js';
import { probeGpu } from './gpu-probe.js';
import type { ModelService } from './model-service.js';

const HEARTBEAT_MS = 5_000;

export interface HeartbeatDeps {
  readonly config: AppConfig;
  readonly registry: WorkerRegistry;
  readonly adapterRegistry: AdapterRegistry;
  readonly onnxRegistry: OnnxModelRegistry;
  readonly storage: ObjectStorage;
  readonly models: ModelService;
  readonly metrics: FarmMetrics;
  readonly logger: Logger;
  readonly active: ActiveJobs;
  readonly queue: string;
  readonly imageTaskQueue: string;
  readonly isDraining: () => boolean;
}

/**
 * The worker's announcement to the farm every few seconds: its models, adapters, ONNX models
 * (ControlNets, IP-Adapters, preprocessors… all under `onnx_models`), GPU and jobs.
 * Each beat also syncs registry adapters and, now and then, models imported into storage.
 */
export class WorkerHeartbeat {
  private readonly startedAt = new Date().toISOString();
  private summaries: ModelSummary[];
  private lastModelRefresh = Date.now();
  private gpu: GpuInfo | undefined;
  private timer: NodeJS.Timeout | undefined;
  private onnxProblems = '';

  constructor(private readonly deps: HeartbeatDeps) {
    this.summaries = deps.models.catalog.list().map((model) => model.summary());
  }

  /** The first beat (awaited), then one every few seconds until stop(). */
  async start(): Promise<void> {
    this.gpu = await probeGpu();
    await this.beat();
    this.timer = setInterval(() => this.beat().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'heartbeat failed')), HEARTBEAT_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    const { config, models, metrics, logger } = this.deps;
    // LoRAs and embeddings imported through the API arrive here within one heartbeat.
    const synced = await syncAdapters(this.deps.adapterRegistry, this.deps.storage, path.join(config.modelCacheDir, 'registry')).catch((error: Error) => {
      logger.warn({ err: error }, 'adapter registry sync failed');
      return { downloaded: [], removed: [] };
    });
    if (synced.downloaded.length + synced.removed.length > 0) logger.info(synced, 'adapter registry synced');
    const onnxModels = await this.syncOnnxModels();
    if (Date.now() - this.lastModelRefresh > config.env.MODEL_REFRESH_MS) {
      // Pipelines imported into storage after start are served without a restart.
      this.lastModelRefresh = Date.now();
      await models.refresh().catch((error: Error) => (logger.warn({ err: error }, 'model refresh failed'), false));
    }
    // Also picks up models a job's lookup synced in between (ModelService.find).
    this.summaries = models.catalog.list().map((model) => model.summary());
    this.gpu = (await probeGpu()) ?? this.gpu;
    if (this.gpu) {
      metrics.gpuMemoryUsed.set(this.gpu.memory_used_bytes);
      metrics.gpuMemoryTotal.set(this.gpu.memory_total_bytes);
      metrics.gpuUtilization.set(this.gpu.utilization_ratio);
    }
    await this.deps.registry.heartbeat(
      {
        id: config.workerId,
        host: os.hostname(),
        pid: process.pid,
        worker_class: config.env.WORKER_CLASS,
        queue: this.deps.queue,
        draining: this.deps.isDraining(),
        trains: config.env.WORKER_TRAINS,
        gpu: this.gpu ?? null,
        execution_provider: config.env.EXECUTION_PROVIDER,
        concurrency: config.env.WORKER_CONCURRENCY,
        models: this.summaries.map((model) => model.id),
        loras: [...(await models.adapters.loraNames()), ...(await models.privateLoraNames())],
        embeddings: (await models.adapters.embeddings()).map((embedding) => embedding.name),
        onnx_models: onnxModels,
        remote_models: Boolean(config.env.MODELS_STORAGE_PREFIX),
        image_task_queue: this.deps.imageTaskQueue,
        current_jobs: this.deps.active.ids(),
        jobs_done: this.deps.active.done,
        started_at: this.startedAt,
        last_heartbeat: new Date().toISOString(),
      },
      this.summaries,
    );
  }

  /**
   * ControlNets, preprocessors, upscalers, face and SAM models imported through the API arrive
   * within one heartbeat; with MODELS_DIR's folders they are what this worker announces, so the
   * API knows at submit time which class can run a model (and a ControlNet's family).
   */
  private async syncOnnxModels(): Promise<AnnouncedOnnxModel[]> {
    const { models, logger } = this.deps;
    const synced = await syncOnnxModels(this.deps.onnxRegistry, this.deps.storage, models.onnxModelDirs.cacheDir).catch((error: Error) => {
      logger.warn({ err: error }, 'onnx model registry sync failed');
      return { downloaded: [], removed: [], failed: [] };
    });
    if (synced.downloaded.length + synced.removed.length + synced.failed.length > 0) logger.info(synced, 'onnx model registry synced');
    const { models: announced, problems } = await listOnnxModels(models.onnxModelDirs);
    // Logged when they change, not on every beat.
    if (problems.join('\n') !== this.onnxProblems) for (const problem of problems) logger.warn(`onnx model folder skipped: ${problem}`);
    this.onnxProblems = problems.join('\n');
    return announced;
  }
}
