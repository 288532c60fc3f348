import type { TrainingRecord } from '@atelier/contracts';
import type { ObjectStorage } from '@atelier/storage';

/** GET /v1/trainings/{id} and training webhook bodies: files as fresh presigned URLs. */
export async function toTrainingView(record: TrainingRecord, storage: ObjectStorage, presignSeconds: number) {
  const url = (key: string): Promise<string> => storage.presignGet(key, presignSeconds);
  return {
    id: record.id,
    object: 'training' as const,
    status: record.status,
    progress: record.progress,
    losses: record.losses.slice(-50),
    samples: await Promise.all(record.samples.map(async (sample) => ({ step: sample.step, prompt: sample.prompt, url: await url(sample.key) }))),
    checkpoints: await Promise.all(record.checkpoints.map(async (checkpoint) => ({ step: checkpoint.step, url: await url(checkpoint.lora_key) }))),
    artifact: record.artifact ? { url: await url(record.artifact.key), sha256: record.artifact.sha256, size: record.artifact.size } : null,
    model_id: record.model_id ?? null,
    error: record.error ?? null,
    attempts: record.attempts,
    resumed_from_step: record.resumed_from_step,
    worker_id: record.worker_id ?? null,
    parameters: record.request,
    created_at: record.created_at,
    started_at: record.started_at ?? null,
    finished_at: record.finished_at ?? null,
  };
}

export type TrainingView = Awaited<ReturnType<typeof toTrainingView>>;
