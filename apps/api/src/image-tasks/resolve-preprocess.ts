import { ImageTaskKind, MODEL_BACKED_PREPROCESSORS, type PreprocessRequest, type ResolvedPreprocess } from '@atelier/contracts';
import { ApiError } from '../common/api-error.js';
import { checkWebhook, chooseOnnxModel, routeImageTask, type ImageTaskContext } from './image-task-routing.js';

export type PreprocessContext = ImageTaskContext;

export interface ResolvedPreprocessSubmission {
  readonly request: ResolvedPreprocess;
  /** The image task queue of the class that runs it. */
  readonly queue: string;
}

/** The registry preprocessor a task's preprocessor runs on (scribble draws with soft-edge models). */
function servedBy(preprocessor: string): string {
  return preprocessor === 'scribble' ? 'softedge' : preprocessor;
}

/**
 * A validated POST /v1/preprocess body → the task a worker runs (every default fixed, the model
 * chosen) and the queue of a class that can run it: any class for canny (no model); otherwise a
 * registry `preprocessor` model of that preprocessor (the tenant's own private one shadows a
 * public one; default: one named like the preprocessor, for scribble also `softedge`, else the
 * first by name) on a class whose workers announced it, preferring classes with a live worker.
 */
export function resolvePreprocess(body: PreprocessRequest, context: PreprocessContext): ResolvedPreprocessSubmission {
  checkWebhook(body.webhook, context);
  const { width, height } = body.options;
  if (width !== undefined && height !== undefined && width * height > context.maxPixels) {
    throw ApiError.field('options.width', `${width}×${height} is ${width * height} pixels; the limit is ${context.maxPixels} (MAX_PIXELS)`);
  }
  let model: string | null = null;
  let queue: string;
  if (MODEL_BACKED_PREPROCESSORS.has(body.preprocessor)) {
    const serves = servedBy(body.preprocessor);
    const chosen = chooseOnnxModel(context, 'preprocessor', body.model, 'model', {
      preferred: [body.preprocessor, serves],
      accepts: (candidate) => candidate.preprocessor === serves,
      what: `${body.preprocessor} preprocessor model`,
      fieldWhenNone: 'preprocessor',
    });
    model = chosen.name;
    queue = routeImageTask(context, 'model', chosen.workerClasses);
  } else {
    if (body.model !== undefined) throw ApiError.field('model', `${body.preprocessor} runs without a model`);
    queue = routeImageTask(context, 'preprocessor');
  }
  return {
    request: {
      v: 1,
      kind: ImageTaskKind.Preprocess,
      image: body.image,
      preprocessor: body.preprocessor,
      options: body.options,
      model,
      output_format: body.output_format,
      webhook: body.webhook,
    },
    queue,
  };
}
