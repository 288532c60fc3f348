import { generationParameters, type GenerationRecord, type GenerationView, type OutputView } from '@atelier/contracts';
import type { ObjectStorage } from '@atelier/storage';

/**
 * The public shape of a generation (GET endpoint and webhook bodies). Output URLs are presigned
 * at read time so they are always fresh; `base64: true` requests get the bytes inline instead.
 */
export async function toGenerationView(record: GenerationRecord, storage: ObjectStorage, presignSeconds: number): Promise<GenerationView> {
  const outputs = await Promise.all(
    record.outputs.map(async (output): Promise<OutputView> => {
      const common = { kind: output.kind ?? 'image', ...(output.controlnet ? { controlnet: output.controlnet } : {}), ...(output.source_index !== undefined ? { source_index: output.source_index } : {}), seed: output.seed, width: output.width, height: output.height, content_type: output.content_type };
      if (record.request.base64) return { ...common, base64: (await storage.get(output.key)).toString('base64') };
      return { ...common, url: await storage.presignGet(output.key, presignSeconds) };
    }),
  );
  return {
    id: record.id,
    object: 'generation',
    status: record.status,
    model: record.request.model,
    batch_id: record.batch_id,
    progress: record.progress,
    outputs,
    adapters: record.adapters ?? null,
    error: record.error ?? null,
    timings: record.timings,
    warnings: record.warnings,
    attempts: record.attempts,
    parameters: generationParameters(record.request),
    created_at: record.created_at,
    started_at: record.started_at ?? null,
    finished_at: record.finished_at ?? null,
  };
}
