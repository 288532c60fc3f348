import type { WorkerClassRecord } from '@atelier/queue';
import type { OnnxModelKind } from '@atelier/registry';
import { ApiError } from '../common/api-error.js';
import { onnxModelsForTenant, type AvailableOnnxModel } from '../generations/onnx-model-availability.js';

/** What resolving any image task reads: the worker classes' announcements, the tenant, the webhook rule. */
export interface ImageTaskContext {
  readonly classes: readonly WorkerClassRecord[];
  /** Classes with a live worker that takes jobs now (preferred when routing). */
  readonly liveClasses: ReadonlySet<string>;
  /** Whose task it is: a tenant's private registry models are visible to it alone. */
  readonly tenant: string;
  readonly webhookProblem: (url: string) => string | undefined;
  /** MAX_PIXELS: an output size asked for counts like a source image's. */
  readonly maxPixels: number;
}

/** Classes that run image tasks at all (they announced an image task queue). */
export function taskClasses(classes: readonly WorkerClassRecord[]): WorkerClassRecord[] {
  return classes.filter((record) => record.image_task_queue !== undefined);
}

export function checkWebhook(webhook: { url: string } | undefined, context: ImageTaskContext): void {
  if (!webhook) return;
  const problem = context.webhookProblem(webhook.url);
  if (problem) throw ApiError.field('webhook.url', problem);
}

/**
 * The image task queue of a class that can run the task: among the task classes (restricted to
 * `workerClasses` when the task needs a model), one with a live, non-draining worker first, else
 * any (a class at zero workers still gets it: an autoscaler can start one).
 */
export function routeImageTask(context: ImageTaskContext, field: string, workerClasses?: readonly string[]): string {
  const candidates = taskClasses(context.classes).filter((record) => workerClasses === undefined || workerClasses.includes(record.worker_class));
  if (candidates.length === 0) throw ApiError.field(field, workerClasses === undefined ? 'no worker takes image tasks yet' : 'no worker that has this model takes image tasks yet');
  const live = candidates.filter((record) => context.liveClasses.has(record.worker_class));
  return (live.length > 0 ? live : candidates)[0].image_task_queue as string;
}

/**
 * An ONNX model of `kind` the tenant can use on an image task class: the one named, else the
 * first of `preferred` that exists, else the first by name. `accepts` narrows the choice (e.g. a
 * preprocessor model of the right preprocessor). A 400 naming `field` when there is none.
 */
export function chooseOnnxModel(
  context: ImageTaskContext,
  kind: OnnxModelKind,
  named: string | undefined,
  field: string,
  options: { readonly preferred?: readonly string[]; readonly accepts?: (model: AvailableOnnxModel) => boolean; readonly what?: string; readonly fieldWhenNone?: string } = {},
): AvailableOnnxModel {
  const usable = new Map([...onnxModelsForTenant(taskClasses(context.classes), kind, context.tenant)].filter(([, model]) => options.accepts?.(model) ?? true));
  const what = options.what ?? `${kind} model`;
  if (named !== undefined) {
    const model = usable.get(named);
    if (!model) throw ApiError.field(field, `no worker has a ${what} named "${named}"`);
    return model;
  }
  const names = [...usable.keys()].sort();
  const chosen = (options.preferred ?? []).find((name) => usable.has(name)) ?? names[0];
  if (chosen === undefined) throw ApiError.field(options.fieldWhenNone ?? field, `no worker has a ${what} (import one: POST /v1/models with kind ${kind}, or MODELS_DIR/${kind}s/<name>/)`);
  return usable.get(chosen) as AvailableOnnxModel;
}
