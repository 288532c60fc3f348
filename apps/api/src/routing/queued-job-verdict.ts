export type QueuedJobVerdict = 'wait' | 'deadline_exceeded' | 'no_capable_worker';

export interface QueuedJobFacts {
  readonly now: number;
  readonly createdAt: number;
  readonly deadlineMs: number;
  /** Some known worker class (live workers or not) meets the job's requirements. */
  readonly capable: boolean;
  /** Since when no known class has met them (undefined while one does). */
  readonly unservableSince: number | undefined;
  readonly unservableTimeoutMs: number;
}

/**
 * What happens to a job still queued: it waits for a worker of a class that can run it, even at
 * zero workers, until JOB_DEADLINE_MS from submission; it fails `no_capable_worker` only when no
 * known class can run it for UNSERVABLE_JOB_TIMEOUT_MS (a class was retired, or its workers no
 * longer announce the model).
 */
export function queuedJobVerdict(facts: QueuedJobFacts): QueuedJobVerdict {
  if (facts.now - facts.createdAt >= facts.deadlineMs) return 'deadline_exceeded';
  if (facts.capable || facts.unservableSince === undefined) return 'wait';
  return facts.now - facts.unservableSince >= facts.unservableTimeoutMs ? 'no_capable_worker' : 'wait';
}
