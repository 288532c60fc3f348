import { ImageTaskKind, upscaledSize, type ResolvedUpscale } from '@atelier/contracts';
import { restoreFaces } from '@atelier/face-restoration';
import { UpscaleError, UpscalerModel, upscale } from '@atelier/upscaling';
import { encodeTaskImage, resizePixels } from './encode-task-image.js';
import { faceTaskError, type FaceModelSessions } from './face-models.js';
import { PermanentTaskError, TaskAbortedError, throwIfAborted, type ImageTaskRunner, type TaskContext, type TaskResult } from './image-task-runner.js';
import type { LocateOnnxModel } from './locate-onnx-model.js';
import { OpenedModels } from './opened-models.js';
import { ProgressChain } from './progress-chain.js';
import type { TaskPixels, TaskSources } from './task-source.js';

/** An upscaling failure as the task ends with it: canceled between tiles, else permanent with its code. */
function upscaleTaskError(error: unknown, signal: AbortSignal): unknown {
  if (!(error instanceof UpscaleError)) return error;
  if (error.code === 'upscale_canceled') return new TaskAbortedError(signal.reason);
  return new PermanentTaskError(error.code, error.message);
}

/**
 * `POST /v1/upscales`: the source through the registry upscaler, tiled (progress per tile, cancel
 * between tiles), resized down when the requested scale is below the model's, then the optional
 * face restoration step (progress per face). Outputs: the result (`image`) and the source
 * (`source`), both kept and labelled.
 */
export class UpscaleRunner implements ImageTaskRunner<typeof ImageTaskKind.Upscale> {
  readonly kind = ImageTaskKind.Upscale;
  private readonly upscalers = new OpenedModels<UpscalerModel>();

  constructor(
    private readonly locate: LocateOnnxModel,
    private readonly sources: TaskSources,
    private readonly faces: FaceModelSessions,
  ) {}

  async run(task: ResolvedUpscale, { tenant, signal, onProgress }: TaskContext): Promise<TaskResult> {
    const located = await this.locate('upscaler', task.model, tenant);
    if (!located?.files.model) throw new PermanentTaskError('unknown_model', `model: this worker has no upscaler model "${task.model}"`);
    const faceModels = task.face_restore ? await this.faces.open(task.face_restore, tenant, 'face_restore.') : undefined;
    const model = await this.upscalers.get(located, (found) => UpscalerModel.open(found.files.model as string)).catch((error: unknown) => {
      throw upscaleTaskError(error, signal);
    });
    if (task.scale > model.scale) throw new PermanentTaskError('invalid_upscale_scale', `scale: ${task.scale} is more than the model upscales by (${model.scale})`);
    const source = await this.sources.pixels(task.source);
    const size = upscaledSize(source, task.scale);
    if (size.width * size.height > task.max_output_pixels) {
      throw new PermanentTaskError('invalid_image', `image: upscaled by ${task.scale} it would be ${size.width}×${size.height}; the limit is ${task.max_output_pixels} pixels (MAX_UPSCALE_PIXELS)`);
    }
    throwIfAborted(signal);
    const progress = new ProgressChain(onProgress);
    let tiles = 0;
    let result: TaskPixels;
    try {
      const upscaled = await upscale(source, model, {
        tileSize: task.tile_size,
        overlap: task.tile_overlap,
        signal,
        onProgress: ({ done, total }) => {
          tiles = total;
          progress.report(done, total + (faceModels ? 1 : 0));
        },
      });
      result = await resizePixels(upscaled, size.width, size.height);
    } catch (error) {
      throw upscaleTaskError(error, signal);
    }
    let facesRestored: number | null = null;
    if (faceModels && task.face_restore) {
      try {
        const restored = await restoreFaces(result, faceModels, {
          fidelity: task.face_restore.fidelity,
          visibility: task.face_restore.visibility,
          signal,
          onProgress: ({ done, total }) => progress.report(tiles + done, tiles + total),
        });
        result = restored.image;
        facesRestored = restored.faces.length;
      } catch (error) {
        throw faceTaskError(error, signal);
      }
    }
    await progress.settled();
    throwIfAborted(signal);
    const parameters = `Upscaler: ${task.model}, Scale: ${task.scale}${task.face_restore ? `, Face restoration: ${task.face_restore.model}` : ''}`;
    return {
      images: [await encodeTaskImage('image', result, task.output_format, parameters), await encodeTaskImage('source', source, 'png', 'Source image')],
      metadata: {
        model: task.model,
        model_scale: model.scale,
        scale: task.scale,
        source_width: source.width,
        source_height: source.height,
        tiles,
        faces_restored: facesRestored,
        ...(task.source.type === 'generation' ? { generation_id: task.source.generation_id, output_index: task.source.output_index } : {}),
      },
    };
  }
}
