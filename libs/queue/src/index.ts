export { createRedisConnection, isCluster, type Cluster, type ConnectionTuning, type Redis, type RedisClient } from './redis-connection.js';
export { bullmqPrefix } from './prefix.js';
export { RedisKeys } from './keys.js';
export { DEFAULT_WORKER_CLASS, createGenerationQueue, createWebhookQueue, generationJobDefaults, generationQueueName, webhookJobDefaults } from './queues.js';
export { CancelChannel } from './cancel-channel.js';
export { WorkerRegistry, gpuInfoSchema, modelSummarySchema, workerStateSchema, type GpuInfo, type ModelSummary, type WorkerState } from './worker-registry.js';
export { redisGuaranteeWarnings } from './redis-guarantees.js';
export { RedisCertificateError, assertRedisCertificateTrusted, certificateRefusal } from './redis-trust.js';
export { classMeets, requirementsOf, workerClassSchema, type JobRequirements, type WorkerClassRecord } from './worker-classes.js';
