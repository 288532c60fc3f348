import { ImageTaskKind, type ResolvedPreprocess } from '@atelier/contracts';
import { encodeOutput, InvalidImageError } from '@atelier/diffusion';
import { PreprocessError, PreprocessorModels, decodeControlImage, hwc3, preprocess, type PreprocessorFolders } from '@atelier/preprocessors';
import type { InputLimits } from '../generation-inputs.js';
import { fetchImageBytes } from '../image-source.js';
import { PermanentTaskError, throwIfAborted, type ImageTaskRunner, type TaskContext, type TaskResult } from './image-task-runner.js';
import type { LocateOnnxModel } from './locate-onnx-model.js';

/** The model-folder slot each model-backed preprocessor reads (scribble uses the softedge folder). */
const FOLDER_SLOT: Record<Exclude<ResolvedPreprocess['preprocessor'], 'canny'>, keyof PreprocessorFolders> = {
  depth: 'depth',
  softedge: 'softedge',
  scribble: 'softedge',
  openpose: 'openpose',
};

/** The error code a preprocessing failure ends the task with: the source image's like init_image's. */
function codeOf(error: PreprocessError): string {
  return error.code === 'invalid_control_image' ? 'invalid_image' : error.code;
}

/**
 * `POST /v1/preprocess`: the source image (same fetch rules and limits as init_image) through
 * `@atelier/preprocessors` at its own size (or options.width × height), stored as a `control` output.
 */
export class PreprocessRunner implements ImageTaskRunner<typeof ImageTaskKind.Preprocess> {
  readonly kind = ImageTaskKind.Preprocess;
  /** Sessions stay open per model folder across tasks. */
  private readonly opened = new Map<string, PreprocessorModels>();

  constructor(
    private readonly locate: LocateOnnxModel,
    private readonly limits: InputLimits,
  ) {}

  async run(task: ResolvedPreprocess, { tenant, signal, onProgress }: TaskContext): Promise<TaskResult> {
    try {
      const models = await this.models(task, tenant);
      const bytes = await fetchImageBytes(task.image, 'image', { policy: this.limits.policy, maxBytes: this.limits.image.maxBytes, resolve: this.limits.resolve });
      const source = await decodeControlImage(bytes, 'image', this.limits.image.maxPixels);
      if (source.width > this.limits.image.maxSide || source.height > this.limits.image.maxSide) {
        throw new PermanentTaskError('invalid_image', `image: is ${source.width}×${source.height}; the limit is ${this.limits.image.maxSide} pixels per side`);
      }
      throwIfAborted(signal);
      const { options } = task;
      const map = await preprocess(
        task.preprocessor,
        source,
        {
          width: options.width ?? source.width,
          height: options.height ?? source.height,
          detect_resolution: options.detect_resolution,
          image_resolution: options.image_resolution,
          low_threshold: options.low_threshold,
          high_threshold: options.high_threshold,
          safe: options.safe,
          include_face: options.include_face,
        },
        models,
      );
      throwIfAborted(signal);
      await onProgress(1, 1);
      const rgb = hwc3(map.image);
      const parameters = `Preprocessor: ${task.preprocessor}${task.model ? `, Model: ${task.model}` : ''}`;
      const encoded = await encodeOutput(rgb.data, rgb.width, rgb.height, task.output_format, 95, parameters);
      return {
        images: [{ kind: 'control', bytes: encoded.bytes, contentType: encoded.contentType, extension: encoded.extension, width: rgb.width, height: rgb.height }],
        metadata: {
          preprocessor: task.preprocessor,
          model: task.model,
          source_width: source.width,
          source_height: source.height,
          detect_width: map.metadata.detectWidth ?? null,
          detect_height: map.metadata.detectHeight ?? null,
          ...(map.metadata.family ? { family: map.metadata.family } : {}),
          ...(map.metadata.people ? { people: map.metadata.people } : {}),
        },
      };
    } catch (error) {
      if (error instanceof PreprocessError) throw new PermanentTaskError(codeOf(error), error.message);
      if (error instanceof InvalidImageError) throw new PermanentTaskError('invalid_image', error.message);
      throw error;
    }
  }

  /**
   * Canny needs no model; the others locate the registry `preprocessor` model for the task's
   * tenant (own private, public, MODELS_DIR) and open that folder's sessions once.
   */
  private async models(task: ResolvedPreprocess, tenant: string): Promise<PreprocessorModels> {
    if (task.preprocessor === 'canny') return new PreprocessorModels({});
    if (!task.model) throw new PermanentTaskError('unknown_model', `model: ${task.preprocessor} needs a preprocessor model`);
    const slot = FOLDER_SLOT[task.preprocessor];
    const located = await this.locate('preprocessor', task.model, tenant);
    if (!located || located.facts.preprocessor !== slot) throw new PermanentTaskError('unknown_model', `model: this worker has no ${slot} preprocessor model "${task.model}"`);
    const folder = located.dir;
    const key = `${slot}:${folder}`;
    let models = this.opened.get(key);
    if (!models) {
      models = new PreprocessorModels({ [slot]: folder });
      this.opened.set(key, models);
    }
    return models;
  }
}
