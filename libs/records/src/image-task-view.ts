import type { ImageTaskRecord, ResolvedImageTask } from '@atelier/contracts';
import type { ObjectStorage } from '@atelier/storage';

/**
 * GET /v1/tasks/{id} (and its per-kind aliases) and image task webhook bodies: outputs as fresh
 * signed URLs, like generation outputs. A failed attempt's error shows only once the task failed.
 */
export async function toImageTaskView(record: ImageTaskRecord, storage: ObjectStorage, presignSeconds: number) {
  const failed = record.status === 'failed' || record.status === 'canceled';
  return {
    id: record.id,
    object: 'image_task' as const,
    kind: record.kind,
    status: record.status,
    progress: record.progress,
    outputs: await Promise.all(
      record.outputs.map(async (output) => ({
        index: output.index,
        kind: output.kind,
        url: await storage.presignGet(output.key, presignSeconds),
        width: output.width,
        height: output.height,
        content_type: output.content_type,
      })),
    ),
    metadata: record.metadata ?? null,
    error: failed ? (record.error ?? null) : null,
    timings: record.timings ?? null,
    attempts: record.attempts,
    worker_id: record.worker_id ?? null,
    parameters: parametersOf(record.request),
    created_at: record.created_at,
    started_at: record.started_at ?? null,
    finished_at: record.finished_at ?? null,
  };
}

/**
 * The resolved request as the client sees it: the source image described, a generation source by
 * its id and index (the storage key and the submit-time limit stay internal).
 */
function parametersOf(request: ResolvedImageTask): Record<string, unknown> {
  if (request.kind === 'preprocess') return { ...request, image: describeSource(request.image) };
  const { source, ...rest } = request;
  const shown = source.type === 'image' ? { image: describeSource(source.image) } : { generation_id: source.generation_id, output_index: source.output_index };
  const visible: Record<string, unknown> = { ...rest, ...shown };
  delete visible.max_output_pixels;
  return visible;
}

/** The source image as the view names it: a URL as given, inline bytes by their size only. */
function describeSource(image: string): string {
  return /^https?:\/\//i.test(image) ? image : `(inline image, ${image.length} base64 characters)`;
}

export type ImageTaskView = Awaited<ReturnType<typeof toImageTaskView>>;
