import { ImageTaskKind, type ResolvedSegment } from '@atelier/contracts';
import { pixelImage, type PixelImage } from '@atelier/preprocessors';
import { EmbeddingCache, SegmentationError, SegmentationModels, encodeMaskPng, segment } from '@atelier/segmentation';
import { PermanentTaskError, throwIfAborted, type ImageTaskRunner, type TaskContext, type TaskResult } from './image-task-runner.js';
import type { LocateOnnxModel } from './locate-onnx-model.js';
import { OpenedModels } from './opened-models.js';
import type { TaskPixels, TaskSources } from './task-source.js';

/** RGB for SAM: alpha composited over white, as the preprocessors read transparent images. */
function toRgb(image: TaskPixels): PixelImage {
  if (image.channels === 3) return pixelImage(image.width, image.height, 3, image.data);
  const rgb = new Uint8Array(image.width * image.height * 3);
  for (let p = 0; p < image.width * image.height; p++) {
    const alpha = image.data[p * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(image.data[p * 4 + c] * alpha + 255 * (1 - alpha));
  }
  return pixelImage(image.width, image.height, 3, rgb);
}

/**
 * `POST /v1/segmentations`: SAM masks (`mask` outputs, white = selected) with their predicted IoU
 * in metadata. One EmbeddingCache per worker process, shared by every segmenter, so a further
 * click on the same image runs only the decoder (`embeddings_cached` in metadata).
 */
export class SegmentRunner implements ImageTaskRunner<typeof ImageTaskKind.Segment> {
  readonly kind = ImageTaskKind.Segment;
  private readonly segmenters = new OpenedModels<SegmentationModels>();

  constructor(
    private readonly locate: LocateOnnxModel,
    private readonly sources: TaskSources,
    private readonly cache: EmbeddingCache = new EmbeddingCache(),
  ) {}

  async run(task: ResolvedSegment, { tenant, signal, onProgress }: TaskContext): Promise<TaskResult> {
    const located = await this.locate('segmenter', task.model, tenant);
    if (!located?.files.encoder || !located.files.decoder) throw new PermanentTaskError('unknown_model', `model: this worker has no segmenter model "${task.model}"`);
    try {
      const models = await this.segmenters.get(located, (found) => SegmentationModels.fromFolder(found.dir, found.dir, this.cache));
      const image = toRgb(await this.sources.pixels(task.source));
      throwIfAborted(signal);
      // Cache entries are per tenant: a hit never tells one tenant that another segmented the same image.
      const result = await segment(image, { points: task.points, boxes: task.boxes }, models, { output: task.output }, tenant);
      await onProgress(1, 1);
      const images = await Promise.all(
        result.masks.map(async (mask) => ({ kind: 'mask', bytes: await encodeMaskPng(mask), contentType: 'image/png', extension: 'png', width: mask.width, height: mask.height })),
      );
      return {
        images,
        metadata: {
          model: task.model,
          layout: result.layout,
          scores: result.masks.map((mask) => mask.score),
          embeddings_cached: result.embeddingsCached,
          source_width: image.width,
          source_height: image.height,
          ...(task.source.type === 'generation' ? { generation_id: task.source.generation_id, output_index: task.source.output_index } : {}),
        },
      };
    } catch (error) {
      if (error instanceof SegmentationError) throw new PermanentTaskError(error.code, error.message);
      throw error;
    }
  }
}
