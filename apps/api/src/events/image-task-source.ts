import { GenerationStatus, type ImageTaskRecord } from '@atelier/contracts';
import { ImageTaskStore, toImageTaskView } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { QueuePositions } from './queue-position.js';
import type { SseEvent, StreamSource } from './stream-source.js';

interface ImageTaskState {
  readonly record: ImageTaskRecord;
  readonly position: number | null;
}

/**
 * An image task's life as events, in the generations' vocabulary: `queued` (with its position in
 * its class's queue), `running`, `progress`, then `succeeded`, `failed` or `canceled` with the view.
 */
export class ImageTaskSource implements StreamSource<ImageTaskState> {
  constructor(
    private readonly id: string,
    private readonly tasks: ImageTaskStore,
    private readonly positions: QueuePositions,
    private readonly storage: ObjectStorage,
    private readonly presignSeconds: number,
  ) {}

  async read(): Promise<ImageTaskState | undefined> {
    const record = await this.tasks.get(this.id);
    if (!record) return undefined;
    const position = record.status === GenerationStatus.Queued ? await this.positions.of(record.queue, record.id) : null;
    return { record, position };
  }

  async changes(previous: ImageTaskState | undefined, current: ImageTaskState): Promise<readonly SseEvent[]> {
    const { record } = current;
    const before = previous?.record;
    const events: SseEvent[] = [];
    const statusChanged = before?.status !== record.status;
    if (record.status === GenerationStatus.Queued && (statusChanged || previous?.position !== current.position)) {
      events.push({ event: 'queued', data: { id: record.id, kind: record.kind, status: record.status, position: current.position } });
    }
    if (record.status === GenerationStatus.Running && (statusChanged || before?.attempts !== record.attempts)) {
      events.push({ event: 'running', data: { id: record.id, kind: record.kind, status: record.status, attempt: record.attempts } });
    }
    if (record.progress.step > (before?.progress.step ?? 0)) events.push({ event: 'progress', data: { id: record.id, step: record.progress.step, total: record.progress.total } });
    if (this.isFinal(current)) events.push({ event: record.status, data: await toImageTaskView(record, this.storage, this.presignSeconds) });
    return events;
  }

  isFinal(state: ImageTaskState): boolean {
    return ImageTaskStore.isTerminal(state.record.status);
  }
}
