/**
 * The process's one noise thread (noise-worker.ts), started on first use. It is unref'd: an idle
 * or busy noise thread never keeps the process alive, and it dies with it. If it cannot start or
 * exits, streams stop asking it and draw their values themselves (same values, on the loop's
 * thread), so nothing waits on a thread that is gone.
 */
import { Worker } from 'node:worker_threads';
import type { NoiseThreadMessage } from './prefetch-protocol.js';

let worker: Worker | undefined;
/** Set once the thread failed to start or died: later requests are drawn inline. */
let unavailable = false;
/**
 * Which thread streams talk to: bumped whenever one is stopped or dies, so a stream knows that
 * a chunk it sees in progress will never be finished and that a new thread must be told about it.
 */
let epoch = 0;
/** Off: streams draw every value themselves (benchmarks compare both ways; the values are the same). */
let enabled = true;
/** True until a stopped thread has exited. */
let stopping = false;

function start(): Worker | undefined {
  try {
    const started = new Worker(new URL('./noise-worker.js', import.meta.url));
    started.unref();
    // An error ends the worker; 'exit' follows and clears it.
    started.on('error', () => undefined);
    started.on('exit', () => {
      if (worker === started) {
        worker = undefined;
        unavailable = true;
        epoch++;
      }
    });
    return started;
  } catch {
    unavailable = true;
    return undefined;
  }
}

/** The current thread's epoch (see `epoch`). */
export function noiseThreadEpoch(): number {
  return epoch;
}

/** Sends a message to the noise thread (starting it); false when there is no thread to ask. */
export function postToNoiseThread(message: NoiseThreadMessage): boolean {
  // While a thread is being stopped no other starts: two threads never touch one stream's chunk.
  if (!enabled || unavailable || stopping) return false;
  worker ??= start();
  if (!worker) return false;
  worker.postMessage(message);
  return true;
}

/**
 * Stops the noise thread (tests, an orderly shutdown). Streams open at that moment draw their
 * remaining values inline; a later stream starts a new thread.
 */
export async function stopNoiseThread(): Promise<void> {
  const stopped = worker;
  worker = undefined;
  epoch++;
  if (stopped) {
    stopping = true;
    try {
      await stopped.terminate();
    } finally {
      stopping = false;
    }
  }
  unavailable = false;
}

/**
 * Whether streams may use the noise thread (default on). Off, each step draws its noise itself,
 * as before the thread existed: for benchmarks and tests that compare the two.
 */
export function setNoiseThreadEnabled(value: boolean): void {
  enabled = value;
}
