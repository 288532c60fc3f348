import { QueueName } from '@atelier/contracts';

export const DEFAULT_WORKER_CLASS = 'default';

/**
 * Jobs are routed by capability class: workers of one class serve the same models on the same
 * kind of hardware and consume one queue. The default class keeps the plain queue name.
 */
export function generationQueueName(workerClass: string): string {
  return workerClass === DEFAULT_WORKER_CLASS ? QueueName.Generation : `${QueueName.Generation}-${workerClass}`;
}

/** The image task queue of a capability class: `image-task` for the default class, `image-task-<class>` otherwise. */
export function imageTaskQueueName(workerClass: string): string {
  return workerClass === DEFAULT_WORKER_CLASS ? QueueName.ImageTask : `${QueueName.ImageTask}-${workerClass}`;
}
