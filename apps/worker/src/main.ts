import os from 'node:os';
import path from 'node:path';
import { AdapterRegistry, syncAdapters } from '#libs/registry/src/index.js';
import { Worker, type Job } from 'bullmq';
import { pino } from 'pino';
import { ConfigError, loadAppConfig } from '#libs/config/src/index.js';
import { ExecutionProviderUnavailableError, RemoteWeights, SessionPool, StableDiffusionPipeline, preloadModel } from '#libs/diffusion/src/index.js';
import { createFarmMetrics } from '#libs/metrics/src/index.js';
import { GenerationLifecycle, TrainingLifecycle } from '#libs/lifecycle/src/index.js';
import { CancelChannel, RedisKeys, WorkerRegistry, createRedisConnection, generationQueueName, redisGuaranteeWarnings, bullmqPrefix, assertRedisCertificateTrusted } from '#libs/queue/src/index.js';
import { probeGpu } from './gpu-probe.js';
import { GenerationStore } from '#libs/records/src/index.js';
import { createStorage } from '#libs/storage/src/index.js';
import { VERSION } from '#libs/config/src/index.js';
import { GenerationHandler, SHUTDOWN_REASON } from './generation-handler.js';
import { TrainingHandler } from './training-handler.js';
import { QueueName } from '#libs/contracts/src/index.js';
import { TrainingStore, refOf } from '#libs/records/src/index.js';
import { TenantSlots } from './tenant-slots.js';
import { TenantLimitsStore } from '#libs/tenancy/src/index.js';
import { startMetricsServer } from './metrics-server.js';
import { ModelService } from './model-service.js';
import type { PulledJob } from './batch-collector.js';

async function main(): Promise<void> {
  const config = await loadAppConfig();
  const logger = pino({ level: config.env.LOG_LEVEL, base: { role: 'worker', worker_id: config.workerId } });
  const metrics = createFarmMetrics('worker', VERSION);
  const redis = createRedisConnection(config.redis);
  const keys = new RedisKeys(bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode));
  const store = new GenerationStore(redis, keys);
  const storage = createStorage(config.storage);
  // Status changes record their webhooks in the same atomic step (an outbox the API drains).
  const lifecycle = new GenerationLifecycle(store, metrics);
  const registry = new WorkerRegistry(keys, redis);

  await assertRedisCertificateTrusted(redis, config.redis);
  for (const warning of await redisGuaranteeWarnings(redis)) logger.warn(`WARNING: ${warning}`);
  const models = await ModelService.start(
    config.modelsDir,
    config.modelCacheDir,
    logger,
    config.env.MODELS_STORAGE_PREFIX ? { storage, prefix: config.env.MODELS_STORAGE_PREFIX } : undefined,
  );
  const pool = new SessionPool(config.env.EXECUTION_PROVIDER, config.env.SESSION_POOL_BYTES, {
    onHit: () => metrics.sessionPoolHits.inc(),
    onMiss: () => metrics.sessionPoolMisses.inc(),
    onEvict: () => metrics.sessionPoolEvictions.inc(),
    onLoad: (modelPath, seconds, bytes, detail) => {
      metrics.sessionLoad.observe(seconds);
      logger.info({ component: modelPath, seconds: Number(seconds.toFixed(3)), bytes, disk_bytes: detail.diskBytes, rss_delta: detail.rssDelta }, 'ONNX session loaded');
    },
    onChange: (stats) => {
      metrics.sessionPoolSessions.set(stats.sessions);
      metrics.sessionPoolBytes.set(stats.loadedBytes);
    },
  }, { optimizedModelDir: path.join(config.modelCacheDir, 'ort-optimized') });
  logger.info({ execution_provider: config.env.EXECUTION_PROVIDER, session_pool_bytes: config.env.SESSION_POOL_BYTES }, 'ONNX Runtime execution provider selected');
  const remoteWeights = new RemoteWeights(storage, models.remoteDir, config.env.MODEL_CACHE_BYTES, (dir) => pool.isLoadedFrom(dir));
  pool.setFilePreparer((modelPath) => remoteWeights.ensure(modelPath));
  const limits = new TenantLimitsStore(redis, keys.prefix, {
    requests_per_minute: config.env.RATE_LIMIT_PER_MINUTE,
    max_running_jobs: config.env.MAX_RUNNING_JOBS_PER_TENANT,
    max_queued_jobs: config.env.MAX_QUEUED_JOBS_PER_TENANT,
    max_batch_size: config.env.MAX_BATCH_SIZE,
  });
  const tenantSlots = new TenantSlots(redis, keys, limits, config.env.JOB_DEADLINE_MS);
  const handler = new GenerationHandler({ config, store, lifecycle, storage, models, pipeline: new StableDiffusionPipeline(pool), metrics, logger, tenantSlots });

  const activeJobs = new Set<string>();
  let jobsDone = 0;
  const queueName = generationQueueName(config.env.WORKER_CLASS);
  let pullCount = 0;
  const pulledIds = new Set<string>();
  const processGeneration = async (job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<{ outputs: number }> => {
    // Jobs the worker's own loop took lead batches; jobs they pulled in do not pull in turn.
    const leads = !pulledIds.delete(String(job.id));
    activeJobs.add(String(job.id));
    // Jobs this one pulled into its UNet batch (see BatchCollector): it returns when they are done,
    // so the worker's concurrency, close() and shutdown cover them too.
    const pulled: Array<Promise<unknown>> = [];
    const pull = async (): Promise<PulledJob | undefined> => {
      const pullToken = `${worker.id}:batch:${pullCount++}`;
      const next = await worker.getNextJob(pullToken, { block: false });
      if (!next?.id) return undefined;
      const id = next.id;
      return {
        id,
        start: () => {
          pulledIds.add(id);
          pulled.push(worker.processJob(next, pullToken, () => false));
        },
      };
    };
    try {
      return await handler.handle(job, token, signal, leads ? pull : undefined);
    } finally {
      handler.finished(String(job.id));
      await Promise.allSettled(pulled);
      activeJobs.delete(String(job.id));
      jobsDone++;
    }
  };
  const worker: Worker = new Worker(
    queueName,
    async (job, token, signal) => processGeneration(job, token, signal),
    {
      connection: createRedisConnection(config.redis),
      prefix: bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode),
      concurrency: config.env.WORKER_CONCURRENCY,
      autorun: false,
      lockDuration: config.env.WORKER_LOCK_MS,
      stalledInterval: config.env.WORKER_LOCK_MS,
      maxStalledCount: config.env.JOB_ATTEMPTS,
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));

  // Training holds the whole GPU: generation jobs pause (the current one finishes) until it ends.
  let gpuHolds = 0;
  const holdGpu = async (): Promise<() => void> => {
    gpuHolds++;
    if (gpuHolds === 1) await worker.pause();
    return () => {
      gpuHolds--;
      if (gpuHolds === 0 && !draining && !stopping) worker.resume();
    };
  };
  const trainings = new TrainingStore(redis, keys);
  const trainingHandler = new TrainingHandler({
    config,
    trainings,
    lifecycle: new TrainingLifecycle(trainings),
    storage,
    registry: new AdapterRegistry(storage),
    models,
    logger,
    holdGpu,
  });
  const trainingWorker = config.env.WORKER_TRAINS
    ? new Worker(
        QueueName.Training,
        async (job, _token, signal) => {
          activeJobs.add(String(job.id));
          try {
            return await trainingHandler.handle(job, signal);
          } finally {
            activeJobs.delete(String(job.id));
            jobsDone++;
          }
        },
        { connection: createRedisConnection(config.redis), prefix: bullmqPrefix(config.env.QUEUE_PREFIX, config.redis.mode), concurrency: 1, autorun: false, lockDuration: config.env.WORKER_LOCK_MS, stalledInterval: config.env.WORKER_LOCK_MS },
      )
    : undefined;
  trainingWorker?.on('error', (error) => logger.error({ err: error }, 'training worker error'));
  worker.on('failed', (job, error) => {
    logger.warn({ job_id: job?.id, err: error }, 'job attempt failed');
    // BullMQ fails a job that stalled too often (its workers kept dying) without running our
    // handler: the record must still reach a terminal state, or it would stay "running" forever.
    if (job && /stalled more than allowable limit/.test(error.message)) void failLostJob(String(job.id));
  });
  const failLostJob = async (generationId: string): Promise<void> => {
    const record = await store.get(generationId);
    if (!record) return;
    await lifecycle.fail(refOf(record), { code: 'worker_lost', message: 'the job\'s workers stopped responding too many times' }, {}, new Date());
  };

  const subscriber = createRedisConnection(config.redis);
  await new CancelChannel(keys, redis).listen(subscriber, (generationId) => {
    if (worker.cancelJob(generationId, 'canceled') || trainingWorker?.cancelJob(generationId, 'canceled')) {
      logger.info({ job_id: generationId }, 'cancel requested for running job');
    }
  });

  let draining = false;
  // Healthy until shutdown starts: a draining (paused) worker is alive and must not be restarted.
  let stopping = false;
  const setDraining = async (value: boolean): Promise<void> => {
    if (value === draining) return;
    draining = value;
    metrics.workerDraining.set(value ? 1 : 0);
    // pause() lets the running job finish and takes no new one; resume() takes jobs again.
    if (value) await worker.pause();
    else worker.resume();
    logger.info({ draining: value }, value ? 'draining: finishing current jobs, taking no new ones' : 'undrained: taking jobs again');
  };
  const control = createRedisConnection(config.redis);
  control.on('message', (_channel: string, message: string) => {
    const command = JSON.parse(message) as { workerId?: string; draining?: boolean };
    if (command.workerId === config.workerId && typeof command.draining === 'boolean') void setDraining(command.draining);
  });
  await control.subscribe(registry.controlChannel());

  // The default model's sessions load before the first heartbeat: the farm only sees this worker
  // once it can start a default job without a multi-second session load.
  const defaultModel = models.catalog.get(config.env.DEFAULT_MODEL);
  if (defaultModel) {
    try {
      const preload = await preloadModel(pool, defaultModel);
      logger.info({ model: defaultModel.id, components: preload.components.length, seconds: Number(preload.seconds.toFixed(3)) }, 'default model preloaded');
    } catch (error) {
      // A provider that cannot load is a broken deployment; a broken model folder is not this worker's fault.
      if (error instanceof ExecutionProviderUnavailableError) throw error;
      logger.error({ err: error, model: defaultModel.id }, 'default model preload failed; its first job will load it');
    }
  }

  const startedAt = new Date().toISOString();
  let summaries = models.catalog.list().map((model) => model.summary());
  let lastModelRefresh = Date.now();
  let gpu = await probeGpu();
  const adapterRegistry = new AdapterRegistry(storage);
  const registryCache = path.join(config.modelCacheDir, 'registry');
  const heartbeat = async (): Promise<void> => {
    // LoRAs and embeddings imported through the API arrive here within one heartbeat.
    const synced = await syncAdapters(adapterRegistry, storage, registryCache).catch((error: Error) => {
      logger.warn({ err: error }, 'adapter registry sync failed');
      return { downloaded: [], removed: [] };
    });
    if (synced.downloaded.length + synced.removed.length > 0) logger.info(synced, 'adapter registry synced');
    if (Date.now() - lastModelRefresh > config.env.MODEL_REFRESH_MS) {
      // Pipelines imported into storage after start are served without a restart.
      lastModelRefresh = Date.now();
      await models.refresh().catch((error: Error) => (logger.warn({ err: error }, 'model refresh failed'), false));
    }
    // Also picks up models a job's lookup synced in between (ModelService.find).
    summaries = models.catalog.list().map((model) => model.summary());
    gpu = (await probeGpu()) ?? gpu;
    if (gpu) {
      metrics.gpuMemoryUsed.set(gpu.memory_used_bytes);
      metrics.gpuMemoryTotal.set(gpu.memory_total_bytes);
      metrics.gpuUtilization.set(gpu.utilization_ratio);
    }
    await registry.heartbeat(
      {
        id: config.workerId,
        host: os.hostname(),
        pid: process.pid,
        worker_class: config.env.WORKER_CLASS,
        queue: queueName,
        draining,
        trains: config.env.WORKER_TRAINS,
        gpu: gpu ?? null,
        execution_provider: config.env.EXECUTION_PROVIDER,
        concurrency: config.env.WORKER_CONCURRENCY,
        models: summaries.map((model) => model.id),
        loras: [...(await models.adapters.loraNames()), ...(await models.privateLoraNames())],
        embeddings: (await models.adapters.embeddings()).map((embedding) => embedding.name),
        remote_models: Boolean(config.env.MODELS_STORAGE_PREFIX),
        current_jobs: [...activeJobs],
        jobs_done: jobsDone,
        started_at: startedAt,
        last_heartbeat: new Date().toISOString(),
      },
      summaries,
    );
  };
  await heartbeat();
  const heartbeatTimer = setInterval(() => heartbeat().catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed')), 5_000);

  const metricsServer = await startMetricsServer(metrics.registry, config.env.METRICS_PORT, config.env.HOST, () => !stopping, {
    drain: async () => setDraining(true),
    undrain: async () => setDraining(false),
    token: config.env.WORKER_CONTROL_TOKEN,
  });
  void worker.run();
  void trainingWorker?.run();
  if (await registry.isDrainRequested(config.workerId)) await setDraining(true);
  logger.info({ concurrency: config.env.WORKER_CONCURRENCY, metrics_port: config.env.METRICS_PORT }, 'worker ready');

  const shutdown = async (signalName: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: signalName, active: [...activeJobs] }, 'shutting down: no new jobs, finishing the current ones');
    clearInterval(heartbeatTimer);
    const closing = Promise.all([worker.close(), trainingWorker?.close()]);
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), config.env.WORKER_SHUTDOWN_DEADLINE_MS).unref());
    if ((await Promise.race([closing.then(() => 'closed' as const), deadline])) === 'deadline') {
      logger.warn({ active: [...activeJobs] }, 'shutdown deadline reached: handing running jobs back to the queue');
      worker.cancelAllJobs(SHUTDOWN_REASON);
      trainingWorker?.cancelAllJobs(SHUTDOWN_REASON);
      await closing;
    }
    await registry.remove(config.workerId).catch(() => undefined);
    await Promise.allSettled([pool.close()]);
    metricsServer.close();
    subscriber.disconnect();
    control.disconnect();
    redis.disconnect();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('unhandledRejection', (reason) => {
    // While shutting down, late Redis calls on closed connections are expected and harmless.
    if (stopping && /Connection is closed/.test(String(reason))) return;
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
