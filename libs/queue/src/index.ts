export { bullmqPrefix } from './bullmq-prefix.js';
export { isRedisUnavailable } from './redis-unavailable.js';
export { createRedisConnection, type Redis } from './redis-connection.js';
export { RedisKeys } from './keys.js';
export { DEFAULT_WORKER_CLASS, generationQueueName } from './queues.js';
export { CancelChannel } from './cancel-channel.js';
export { WorkerRegistry, gpuInfoSchema, modelSummarySchema, workerStateSchema, type GpuInfo, type ModelSummary, type WorkerState } from './worker-registry.js';
export { redisGuaranteeWarnings } from './redis-guarantees.js';
export { classMeets, requirementsOf, workerClassSchema, type JobRequirements, type WorkerClassRecord } from './worker-classes.js';
