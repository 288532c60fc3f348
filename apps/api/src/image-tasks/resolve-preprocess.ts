import { ImageTaskKind, MODEL_BACKED_PREPROCESSORS, type PreprocessRequest, type ResolvedPreprocess } from '@atelier/contracts';
import type { WorkerClassRecord } from '@atelier/queue';
import { ApiError } from '../common/api-error.js';

/** What resolving a preprocess request reads: the worker classes' announcements, the webhook rule. */
export interface PreprocessContext {
  readonly classes: readonly WorkerClassRecord[];
  /** Classes with a live worker that takes jobs now (preferred when routing). */
  readonly liveClasses: ReadonlySet<string>;
  readonly webhookProblem: (url: string) => string | undefined;
  /** MAX_PIXELS: an output size asked for counts like a source image's. */
  readonly maxPixels: number;
}

export interface ResolvedPreprocessSubmission {
  readonly request: ResolvedPreprocess;
  /** The image task queue of the class that runs it. */
  readonly queue: string;
}

/** Classes that run image tasks at all (they announced an image task queue). */
function taskClasses(classes: readonly WorkerClassRecord[]): WorkerClassRecord[] {
  return classes.filter((record) => record.image_task_queue !== undefined);
}

function hasModel(record: WorkerClassRecord, model: string, preprocessor: string): boolean {
  return record.preprocessors.some((entry) => entry.name === model && entry.kinds.includes(preprocessor));
}

/**
 * The default model of a model-backed preprocessor: a folder named like the preprocessor (or,
 * for scribble, like softedge) when some class has one, else the first by name.
 */
function defaultModel(classes: readonly WorkerClassRecord[], preprocessor: string): string | undefined {
  const names = [...new Set(classes.flatMap((record) => record.preprocessors.filter((entry) => entry.kinds.includes(preprocessor)).map((entry) => entry.name)))].sort();
  const preferred = [preprocessor, preprocessor === 'scribble' ? 'softedge' : preprocessor];
  return preferred.find((name) => names.includes(name)) ?? names[0];
}

/**
 * A validated POST /v1/preprocess body → the task a worker runs (every default fixed, the model
 * chosen) and the queue of a class that can run it: any class for canny (no model), a class
 * whose workers have the model otherwise, preferring classes with a live worker.
 */
export function resolvePreprocess(body: PreprocessRequest, context: PreprocessContext): ResolvedPreprocessSubmission {
  if (body.webhook) {
    const problem = context.webhookProblem(body.webhook.url);
    if (problem) throw ApiError.field('webhook.url', problem);
  }
  const { width, height } = body.options;
  if (width !== undefined && height !== undefined && width * height > context.maxPixels) {
    throw ApiError.field('options.width', `${width}×${height} is ${width * height} pixels; the limit is ${context.maxPixels} (MAX_PIXELS)`);
  }
  const classes = taskClasses(context.classes);
  let model: string | null = null;
  let candidates = classes;
  if (MODEL_BACKED_PREPROCESSORS.has(body.preprocessor)) {
    const chosen = body.model ?? defaultModel(classes, body.preprocessor);
    if (!chosen) throw ApiError.field('preprocessor', `no worker has a ${body.preprocessor} preprocessor model (MODELS_DIR/preprocessors/<name>/)`);
    candidates = classes.filter((record) => hasModel(record, chosen, body.preprocessor));
    if (candidates.length === 0) throw ApiError.field('model', `no worker has a ${body.preprocessor} preprocessor model named "${chosen}"`);
    model = chosen;
  } else if (body.model !== undefined) {
    throw ApiError.field('model', `${body.preprocessor} runs without a model`);
  }
  if (candidates.length === 0) throw ApiError.field('preprocessor', 'no worker takes image tasks yet');
  const live = candidates.filter((record) => context.liveClasses.has(record.worker_class));
  const chosenClass = (live.length > 0 ? live : candidates)[0];
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
    queue: chosenClass.image_task_queue as string,
  };
}
