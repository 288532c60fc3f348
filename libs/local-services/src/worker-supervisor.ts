import type { LocalFarm, WorkerProcess } from './local-farm.js';

export interface WorkerSupervisorOptions {
  /** First restart delay; doubles on each quick death up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A worker that stayed up this long resets the delay to initialDelayMs. */
  readonly stableAfterMs?: number;
  readonly log?: (line: string) => void;
  /** Called with each replacement once it has been spawned. */
  readonly onRestart?: (worker: WorkerProcess) => void;
}

export interface WorkerSupervisor {
  /** Stops restarting (Ctrl-C): call before stopping the farm. */
  stop(): void;
}

/**
 * Keeps the local farm's workers running (`npm start`): a worker process that dies is started
 * again with exponential backoff, so one crash (or an OOM kill) does not end the whole farm.
 */
export function superviseWorkers(farm: LocalFarm, options: WorkerSupervisorOptions = {}): WorkerSupervisor {
  const initial = options.initialDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 30_000;
  const stableAfter = options.stableAfterMs ?? 60_000;
  const log = options.log ?? ((line: string) => console.error(line));
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const restartLater = (previousId: string, wait: number, restarts: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      farm.addWorker().then(
        async (next) => {
          if (stopped) return next.stop();
          log(`worker ${next.id} started (pid ${next.child.pid}) in place of ${previousId}`);
          options.onRestart?.(next);
          watch(next, Math.min(wait * 2, max), restarts + 1);
        },
        (error: Error) => {
          log(`worker restart failed (${error.message}); retrying in ${Math.round(Math.min(wait * 2, max) / 1000)} s`);
          restartLater(previousId, Math.min(wait * 2, max), restarts + 1);
        },
      );
    }, wait);
    timers.add(timer);
  };
  const watch = (worker: WorkerProcess, delay: number, restarts: number): void => {
    const startedAt = Date.now();
    void worker.exited.then((code) => {
      if (stopped) return;
      const wait = Date.now() - startedAt >= stableAfter ? initial : delay;
      const how = worker.child.signalCode ? `signal ${worker.child.signalCode}` : `code ${code}`;
      log(`worker ${worker.id} exited unexpectedly (${how}); restarting in ${Math.round(wait / 100) / 10} s (restart ${restarts + 1})`);
      restartLater(worker.id, wait, restarts);
    });
  };
  for (const worker of farm.workers) watch(worker, initial, 0);
  return {
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
