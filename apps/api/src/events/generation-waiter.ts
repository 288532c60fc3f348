import { Inject, Injectable } from '@nestjs/common';
import { TERMINAL_STATUSES, type GenerationRecord } from '@atelier/contracts';
import { GenerationStore } from '@atelier/records';
import { RECORD_POLL_INTERVAL_MS } from './record-stream.js';

/**
 * Blocks until a generation reaches a terminal state, for the synchronous compatibility APIs.
 * Polls the record for the same reasons the event streams do (see record-stream.ts).
 */
@Injectable()
export class GenerationWaiter {
  constructor(@Inject(GenerationStore) private readonly generations: GenerationStore) {}

  /** The terminal record, or undefined when `timeoutMs` passed or `signal` aborted first. */
  async terminal(id: string, timeoutMs: number, signal?: AbortSignal): Promise<GenerationRecord | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.generations.get(id);
      if (record && TERMINAL_STATUSES.has(record.status)) return record;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return undefined;
      await pause(Math.min(RECORD_POLL_INTERVAL_MS, left), signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
