import { ImageTaskKind, type ResolvedFaceRestore } from '@atelier/contracts';
import { restoreFaces } from '@atelier/face-restoration';
import { encodeTaskImage } from './encode-task-image.js';
import { faceTaskError, type FaceModelSessions } from './face-models.js';
import { throwIfAborted, type ImageTaskRunner, type TaskContext, type TaskResult } from './image-task-runner.js';
import { ProgressChain } from './progress-chain.js';
import type { TaskSources } from './task-source.js';

/**
 * `POST /v1/face-restorations`: faces detected, aligned, restored and pasted back (progress per
 * face, cancel between faces). Outputs: the result (`image`) and the source (`source`).
 */
export class FaceRestoreRunner implements ImageTaskRunner<typeof ImageTaskKind.FaceRestore> {
  readonly kind = ImageTaskKind.FaceRestore;

  constructor(
    private readonly faces: FaceModelSessions,
    private readonly sources: TaskSources,
  ) {}

  async run(task: ResolvedFaceRestore, { tenant, signal, onProgress }: TaskContext): Promise<TaskResult> {
    const models = await this.faces.open(task, tenant);
    const source = await this.sources.pixels(task.source);
    throwIfAborted(signal);
    const progress = new ProgressChain(onProgress);
    let restored;
    try {
      restored = await restoreFaces(source, models, { fidelity: task.fidelity, visibility: task.visibility, signal, onProgress: ({ done, total }) => progress.report(done, total) });
    } catch (error) {
      throw faceTaskError(error, signal);
    }
    await progress.settled();
    if (restored.faces.length === 0) await onProgress(1, 1);
    const parameters = `Face restoration: ${task.model}, Detector: ${task.detector}, Fidelity: ${task.fidelity}, Visibility: ${task.visibility}`;
    return {
      images: [await encodeTaskImage('image', restored.image, task.output_format, parameters), await encodeTaskImage('source', source, 'png', 'Source image')],
      metadata: {
        model: task.model,
        detector: task.detector,
        restorer_kind: models.restorer.kind,
        faces: restored.faces.map((face) => ({ box: face.box, score: face.score })),
        source_width: source.width,
        source_height: source.height,
        ...(task.source.type === 'generation' ? { generation_id: task.source.generation_id, output_index: task.source.output_index } : {}),
      },
    };
  }
}
