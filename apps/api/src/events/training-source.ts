import { QueueName, TrainingStatus, type TrainingRecord } from '@atelier/contracts';
import { TrainingStore, toTrainingView } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { QueuePositions } from './queue-position.js';
import type { SseEvent, StreamSource } from './stream-source.js';

interface TrainingState {
  readonly record: TrainingRecord;
  readonly position: number | null;
}

/**
 * A training's life as events, in the generations' vocabulary: `queued` (with its position in
 * the training queue), `running`, `progress` (step, total and the latest loss), `checkpoint` and
 * `sample` as they are written, then `succeeded`, `failed` or `canceled` with the training view.
 */
export class TrainingSource implements StreamSource<TrainingState> {
  constructor(
    private readonly id: string,
    private readonly trainings: TrainingStore,
    private readonly positions: QueuePositions,
    private readonly storage: ObjectStorage,
    private readonly presignSeconds: number,
  ) {}

  async read(): Promise<TrainingState | undefined> {
    const record = await this.trainings.get(this.id);
    if (!record) return undefined;
    const position = record.status === TrainingStatus.Queued ? await this.positions.of(QueueName.Training, record.id) : null;
    return { record, position };
  }

  async changes(previous: TrainingState | undefined, current: TrainingState): Promise<readonly SseEvent[]> {
    const { record } = current;
    const before = previous?.record;
    const events: SseEvent[] = [];
    const statusChanged = before?.status !== record.status;
    if (record.status === TrainingStatus.Queued && (statusChanged || previous?.position !== current.position)) {
      events.push({ event: 'queued', data: { id: record.id, status: record.status, position: current.position } });
    }
    if (record.status === TrainingStatus.Running && (statusChanged || before?.attempts !== record.attempts)) {
      events.push({ event: 'running', data: { id: record.id, status: record.status, attempt: record.attempts, resumed_from_step: record.resumed_from_step } });
    }
    if (record.progress.step > (before?.progress.step ?? 0) || (before && before.attempts !== record.attempts && record.progress.step > 0)) {
      events.push({ event: 'progress', data: { id: record.id, step: record.progress.step, total: record.progress.total, loss: record.losses.at(-1)?.loss ?? null } });
    }
    for (const checkpoint of record.checkpoints.slice(before?.checkpoints.length ?? 0)) events.push({ event: 'checkpoint', data: { id: record.id, step: checkpoint.step } });
    for (const sample of record.samples.slice(before?.samples.length ?? 0)) {
      events.push({ event: 'sample', data: { id: record.id, step: sample.step, prompt: sample.prompt, url: await this.storage.presignGet(sample.key, this.presignSeconds) } });
    }
    if (this.isFinal(current)) events.push({ event: record.status, data: await toTrainingView(record, this.storage, this.presignSeconds) });
    return events;
  }

  isFinal(state: TrainingState): boolean {
    return TrainingStore.isTerminal(state.record.status);
  }
}
