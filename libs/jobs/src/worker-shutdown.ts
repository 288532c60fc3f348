/**
 * The reason a shutting-down worker aborts its running jobs with (JobRuntime.handBackAll): the
 * handler hands the job back to the queue instead of canceling or failing it. Recognised by
 * class (isWorkerShutdown), never by text.
 */
export class WorkerShutdownError extends Error {
  readonly code = 'worker_shutdown';

  constructor() {
    super('worker shut down; job handed back');
    this.name = 'WorkerShutdownError';
  }
}

/** Whether an abort reason (AbortSignal#reason, or a canceled pipeline's reason) is a shutdown hand-back. */
export function isWorkerShutdown(reason: unknown): reason is WorkerShutdownError {
  return reason instanceof WorkerShutdownError;
}
