import { toBatchView, type BatchRecord, type BatchStore } from '@atelier/records';
import type { SseEvent, StreamSource } from './stream-source.js';

/** A batch's life as events: `counts` whenever the per-state counts change, then `completed`. */
export class BatchSource implements StreamSource<BatchRecord> {
  constructor(
    private readonly id: string,
    private readonly batches: BatchStore,
  ) {}

  read(): Promise<BatchRecord | undefined> {
    return this.batches.get(this.id);
  }

  async changes(previous: BatchRecord | undefined, current: BatchRecord): Promise<readonly SseEvent[]> {
    const events: SseEvent[] = [];
    if (!previous || JSON.stringify(previous.counts) !== JSON.stringify(current.counts)) {
      events.push({ event: 'counts', data: { id: current.id, total: current.total, counts: current.counts } });
    }
    if (this.isFinal(current)) events.push({ event: 'completed', data: toBatchView(current) });
    return events;
  }

  isFinal(state: BatchRecord): boolean {
    return state.completed_at !== undefined;
  }
}
