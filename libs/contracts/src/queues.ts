/**
 * Queue and job names are part of the wire contract between API and workers of different
 * versions: never rename a value, only add new ones.
 */
export const QueueName = Object.freeze({
  Generation: 'generation',
  Webhook: 'webhook',
  Training: 'training',
  /** Work on an image that is not a generation (preprocess, later upscale, …); split per worker class. */
  ImageTask: 'image-task',
} as const);
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const JobName = Object.freeze({
  GenerateImage: 'generate-image',
  DeliverWebhook: 'deliver-webhook',
  TrainLora: 'train-lora',
  RunImageTask: 'run-image-task',
} as const);
export type JobName = (typeof JobName)[keyof typeof JobName];

/** BullMQ priorities: lower runs first. Interactive requests overtake batch work. */
export const JobPriority = Object.freeze({
  Interactive: 1,
  Batch: 1_000,
} as const);
