import type { JobName } from '@atelier/contracts';

/**
 * The process's handlers do not match the jobs it consumes: a job name without a handler
 * would fail every job of that name, and two handlers leave which one runs to chance.
 */
export class JobHandlerMismatchError extends Error {
  readonly code = 'job_handler_mismatch';

  constructor(
    readonly missing: readonly JobName[],
    readonly duplicated: readonly JobName[],
    readonly unconsumed: readonly JobName[],
  ) {
    const parts = [
      missing.length > 0 ? `no handler for ${missing.join(', ')}` : '',
      duplicated.length > 0 ? `more than one handler for ${duplicated.join(', ')}` : '',
      unconsumed.length > 0 ? `handlers for jobs no consumed queue carries: ${unconsumed.join(', ')}` : '',
    ].filter(Boolean);
    super(`job handlers do not match the consumed queues: ${parts.join('; ')}`);
    this.name = 'JobHandlerMismatchError';
  }
}

/** Every consumed job name has exactly one handler, and every handler a consumed job name. */
export function checkHandlers(consumed: ReadonlySet<JobName>, registrations: ReadonlyMap<JobName, number>): void {
  const missing = [...consumed].filter((name) => (registrations.get(name) ?? 0) === 0).sort();
  const duplicated = [...registrations].filter(([, count]) => count > 1).map(([name]) => name).sort();
  const unconsumed = [...registrations.keys()].filter((name) => !consumed.has(name)).sort();
  if (missing.length + duplicated.length + unconsumed.length > 0) throw new JobHandlerMismatchError(missing, duplicated, unconsumed);
}
