export { createRedisConnection, type Redis } from './redis-connection.js';
export { RedisKeys } from './keys.js';
export { createGenerationQueue, createWebhookQueue, generationJobDefaults, webhookJobDefaults } from './queues.js';
export { CancelChannel } from './cancel-channel.js';
export { WorkerRegistry, modelSummarySchema, workerStateSchema, type ModelSummary, type WorkerState } from './worker-registry.js';
export { redisGuaranteeWarnings } from './redis-guarantees.js';
