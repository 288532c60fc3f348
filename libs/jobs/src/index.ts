export { JobRuntime, UnknownJobNameError, type ConsumeOptions, type JobHandler, type JobRuntimeOptions } from './job-runtime.js';
export { queueDefinitions, type QueueDefinition, type QueueDefinitions, type QueueEnvironment, type WorkerSettings } from './queue-definitions.js';
export { JobHandlerMismatchError, checkHandlers } from './handler-check.js';
export { stalledTooOften } from './stalled.js';
export { WorkerShutdownError, isWorkerShutdown } from './worker-shutdown.js';
