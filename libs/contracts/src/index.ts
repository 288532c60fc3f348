export * from './queues.js';
export * from './generation-status.js';
export * from './webhook-events.js';
export * from './generation-request.js';
export * from './generation-job.js';
export * from './webhook-job.js';
export * from './generation-view.js';
export * from './errors.js';
