import { GenerationStatus, TERMINAL_STATUSES, type GenerationRecord } from '@atelier/contracts';
import { toGenerationView, type GenerationStore } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { QueuePositions } from './queue-position.js';
import type { SseEvent, StreamSource } from './stream-source.js';

interface GenerationState {
  readonly record: GenerationRecord;
  /** Jobs ahead in its queue while queued; null when BullMQ no longer holds it as waiting. */
  readonly position: number | null;
}

/**
 * A generation's life as events: `queued` (again whenever its position changes, or after a
 * retry hands it back), `running`, `progress` with monotonically increasing steps within an
 * attempt, then one of `succeeded`, `failed`, `canceled` carrying the generation view.
 */
export class GenerationSource implements StreamSource<GenerationState> {
  /** Last step sent in the current attempt: a retry starts over, a snapshot never goes back. */
  private sentStep = 0;
  private sentAttempt = -1;

  constructor(
    private readonly id: string,
    private readonly generations: GenerationStore,
    private readonly positions: QueuePositions,
    private readonly storage: ObjectStorage,
    private readonly presignSeconds: number,
  ) {}

  async read(): Promise<GenerationState | undefined> {
    const record = await this.generations.get(this.id);
    if (!record) return undefined;
    const position = record.status === GenerationStatus.Queued ? await this.positions.of(record.queue, record.id) : null;
    return { record, position };
  }

  async changes(previous: GenerationState | undefined, current: GenerationState): Promise<readonly SseEvent[]> {
    const { record } = current;
    const events: SseEvent[] = [];
    const statusChanged = previous?.record.status !== record.status;
    if (record.attempts !== this.sentAttempt) {
      this.sentAttempt = record.attempts;
      this.sentStep = 0;
    }
    if (record.status === GenerationStatus.Queued && (statusChanged || previous?.position !== current.position)) {
      events.push({ event: 'queued', data: { id: record.id, status: record.status, queue: record.queue, position: current.position } });
    }
    if (record.status === GenerationStatus.Running && statusChanged) {
      events.push({ event: 'running', data: { id: record.id, status: record.status, attempt: record.attempts, started_at: record.started_at ?? null } });
    }
    const reachedStep = record.status === GenerationStatus.Queued ? 0 : record.progress.step;
    if (reachedStep > this.sentStep) {
      this.sentStep = reachedStep;
      events.push({ event: 'progress', data: { id: record.id, step: record.progress.step, total: record.progress.total } });
    }
    if (this.isFinal(current)) {
      events.push({ event: record.status, data: await toGenerationView(record, this.storage, this.presignSeconds) });
    }
    return events;
  }

  isFinal(state: GenerationState): boolean {
    return TERMINAL_STATUSES.has(state.record.status);
  }
}
