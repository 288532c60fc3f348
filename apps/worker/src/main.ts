import { pino } from 'pino';
import { ConfigError, loadAppConfig } from '@atelier/config';
import { JobName, QueueName } from '@atelier/contracts';
import { StableDiffusionPipeline } from '@atelier/diffusion';
import {
  createAdapterRegistry,
  createJobRuntime,
  createKeys,
  createLifecycles,
  createMetrics,
  createObjectStorage,
  createOnnxModelRegistry,
  createRecords,
  createTenantLimits,
} from '@atelier/infrastructure';
import { WorkerRegistry, assertRedisCertificateTrusted, createRedisConnection, generationQueueName, imageTaskQueueName, redisGuaranteeWarnings } from '@atelier/queue';
import { sourceImageLimits } from '@atelier/config';
import { farmPolicies } from '@atelier/outbound';
import { ActiveJobs } from './active-jobs.js';
import { GenerationConsumer } from './generation-consumer.js';
import { GenerationHandler } from './generation-handler.js';
import { GracefulShutdown } from './graceful-shutdown.js';
import { WorkerHeartbeat } from './heartbeat.js';
import { JobIntake } from './job-intake.js';
import { startMetricsServer } from './metrics-server.js';
import { ModelService } from './model-service.js';
import { RegistryControlNets, type OnnxLocator } from './controlnet-folders.js';
import { preloadDefaultModel } from './preload-default-model.js';
import { createSessionPool } from './session-pool-factory.js';
import { TenantSlots } from './tenant-slots.js';
import { pipelineClassPictures } from './class-pictures.js';
import { TrainingHandler } from './training-handler.js';
import { ImageTaskHandler } from './image-tasks/image-task-handler.js';
import type { LocateOnnxModel } from './image-tasks/locate-onnx-model.js';
import { FaceModelSessions } from './image-tasks/face-models.js';
import { FaceRestoreRunner } from './image-tasks/face-restore-runner.js';
import { PreprocessRunner } from './image-tasks/preprocess-runner.js';
import { SegmentRunner } from './image-tasks/segment-runner.js';
import { TaskSources } from './image-tasks/task-source.js';
import { UpscaleRunner } from './image-tasks/upscale-runner.js';
import { WorkerCommands } from './worker-commands.js';

/** The worker's composition root: the same infrastructure as the API, the job runtime, the handlers. */
async function main(): Promise<void> {
  const config = await loadAppConfig();
  const logger = pino({ level: config.env.LOG_LEVEL, base: { role: 'worker', worker_id: config.workerId } });
  const metrics = createMetrics('worker');
  const redis = createRedisConnection(config.redis);
  const keys = createKeys(config);
  const records = createRecords(redis, keys);
  const storage = createObjectStorage(config);
  const adapterRegistry = createAdapterRegistry(storage);
  const onnxRegistry = createOnnxModelRegistry(storage);
  // Status changes record their webhooks in the same atomic step (an outbox the API drains).
  const lifecycles = createLifecycles(records, metrics);
  const registry = new WorkerRegistry(keys, redis);
  const queueRedis = createRedisConnection(config.redis);
  const jobs = createJobRuntime(config, queueRedis, (queue, error) => logger.error({ err: error, queue }, 'worker error'));
  const reportLost = (kind: string) => (error: unknown) => logger.error({ err: error, kind }, 'could not fail a lost job');
  await assertRedisCertificateTrusted(redis, config.redis);
  for (const warning of await redisGuaranteeWarnings(redis)) logger.warn(`WARNING: ${warning}`);

  const models = await ModelService.start(
    config.modelsDir,
    config.modelCacheDir,
    logger,
    config.env.MODELS_STORAGE_PREFIX ? { storage, prefix: config.env.MODELS_STORAGE_PREFIX } : undefined,
  );
  const locateOnnx: OnnxLocator = (kind, name, tenant) => models.locateOnnx(kind, name, tenant);
  const controlnets = new RegistryControlNets(locateOnnx);
  const pool = createSessionPool(config, metrics, logger, storage, models.remoteDir);
  const tenantSlots = new TenantSlots(redis, keys, createTenantLimits(redis, keys, config.env), config.env.JOB_DEADLINE_MS);
  const active = new ActiveJobs();

  const queue = generationQueueName(config.env.WORKER_CLASS);
  const generation = new GenerationConsumer(
    new GenerationHandler({ config, store: records.generations, lifecycle: lifecycles.generations, storage, models, pipeline: new StableDiffusionPipeline(pool), metrics, logger, tenantSlots, controlnets, locateOnnx, preprocessorSessions: (file) => pool.acquire(file) }),
    active,
  );
  jobs.register(JobName.GenerateImage, (job, token, signal) => generation.process(job, token, signal));
  const generationWorker = jobs.consume(QueueName.Generation, {
    name: queue,
    onFailed: (job, error) => logger.warn({ job_id: job?.id, err: error }, 'job attempt failed'),
    // Its workers kept dying: BullMQ failed it without a handler, the record follows (worker_lost).
    onStalledTooOften: (job) => void lifecycles.generations.lost(String(job.id), new Date()).catch(reportLost('generation')),
  });
  generation.attach(generationWorker);
  const intake = new JobIntake(generationWorker, metrics, logger);

  // Image tasks (preprocess, …): their own queue per class, the same states, retries and webhooks.
  const locate: LocateOnnxModel = (kind, name, tenant) => models.locateOnnx(kind, name, tenant);
  const taskInputs = { image: sourceImageLimits(config.env), policy: farmPolicies(config.env).images };
  const taskSources = new TaskSources(storage, taskInputs);
  const faceModels = new FaceModelSessions(locate);
  const imageTaskQueue = imageTaskQueueName(config.env.WORKER_CLASS);
  const imageTasks = new ImageTaskHandler({
    config,
    store: records.imageTasks,
    lifecycle: lifecycles.imageTasks,
    storage,
    metrics,
    logger,
    runners: {
      preprocess: new PreprocessRunner(locate, taskInputs),
      upscale: new UpscaleRunner(locate, taskSources, faceModels),
      face_restore: new FaceRestoreRunner(faceModels, taskSources),
      // One SAM embedding cache per process (inside the runner), shared by every segmenter.
      segment: new SegmentRunner(locate, taskSources),
    },
  });
  jobs.register(JobName.RunImageTask, (job, token, signal) => active.track(String(job.id), () => imageTasks.handle(job, token, signal)));
  intake.follow(
    jobs.consume(QueueName.ImageTask, {
      name: imageTaskQueue,
      onFailed: (job, error) => logger.warn({ job_id: job?.id, err: error }, 'image task attempt failed'),
      onStalledTooOften: (job) => void lifecycles.imageTasks.lost(String(job.id), new Date()).catch(reportLost('image task')),
    }),
  );

  if (config.env.WORKER_TRAINS) {
    const training = new TrainingHandler({
      config,
      trainings: records.trainings,
      lifecycle: lifecycles.trainings,
      storage,
      registry: adapterRegistry,
      models,
      logger,
      holdGpu: () => intake.holdGpu(),
      classPictures: pipelineClassPictures(new StableDiffusionPipeline(pool)),
    });
    jobs.register(JobName.TrainLora, (job, _token, signal) => active.track(String(job.id), () => training.handle(job, signal)));
    jobs.consume(QueueName.Training, { onStalledTooOften: (job) => void lifecycles.trainings.lost(String(job.id)).catch(reportLost('training')) });
  }

  const commands = await WorkerCommands.listen(config, keys, redis, registry, {
    cancel: (jobId) => {
      if (jobs.cancel(jobId, 'canceled')) logger.info({ job_id: jobId }, 'cancel requested for running job');
    },
    setDraining: (draining) => intake.setDraining(draining),
  });
  await preloadDefaultModel(pool, models, config.env.DEFAULT_MODEL, logger);
  const heartbeat = new WorkerHeartbeat({ config, registry, adapterRegistry, onnxRegistry, storage, models, metrics, logger, active, queue, imageTaskQueue, isDraining: () => intake.isDraining });
  await heartbeat.start();
  const metricsServer = await startMetricsServer(metrics.registry, config.env.METRICS_PORT, config.env.HOST, () => !intake.isStopping, {
    drain: async () => intake.setDraining(true),
    undrain: async () => intake.setDraining(false),
    token: config.env.WORKER_CONTROL_TOKEN,
  });

  jobs.start();
  if (await registry.isDrainRequested(config.workerId)) await intake.setDraining(true);
  logger.info({ concurrency: config.env.WORKER_CONCURRENCY, metrics_port: config.env.METRICS_PORT }, 'worker ready');

  const shutdown = new GracefulShutdown({
    jobs,
    active,
    deadlineMs: config.env.WORKER_SHUTDOWN_DEADLINE_MS,
    logger,
    beforeClose: () => {
      intake.stop();
      heartbeat.stop();
    },
    release: async () => {
      await registry.remove(config.workerId).catch(() => undefined);
      await Promise.allSettled([pool.close()]);
      metricsServer.close();
      commands.close();
      queueRedis.disconnect();
      redis.disconnect();
    },
  });
  process.on('unhandledRejection', (reason) => {
    // While shutting down, late Redis calls on closed connections are expected and harmless.
    if (shutdown.inProgress) return void logger.warn({ err: reason }, 'rejection while shutting down');
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown.run(signal).then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
