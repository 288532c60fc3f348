import type { WorkerClassRecord } from '@atelier/queue';
import type { OnnxModelKind } from '@atelier/registry';

/** An ONNX model some worker class announced, as one tenant may use it. */
export interface AvailableOnnxModel {
  readonly kind: OnnxModelKind;
  readonly name: string;
  /** A ControlNet's family (sd1, sd2, sdxl) as the worker read it; undefined for other kinds. */
  readonly baseFamily: string | undefined;
  /** A preprocessor model's preprocessor (depth, softedge, openpose) as the worker read it; undefined for other kinds. */
  readonly preprocessor: string | undefined;
  /** An upscaler's factor as the worker read it; undefined for other kinds. */
  readonly scale: number | undefined;
  /** A ControlNet's or IP-Adapter's text-feature width as the worker read it, when its files tell. */
  readonly crossAttentionDim: number | undefined;
  /** The worker classes whose workers have it (also at zero live workers), sorted. */
  readonly workerClasses: readonly string[];
  /** Whether it is the tenant's own private registry model (it shadows a public one of the same name). */
  readonly private: boolean;
  /** The name workers announce it by (`<tenant>/<name>` when private): what JobRequirements.onnxModels takes. */
  readonly announcedName: string;
}

/**
 * Whether `tenant` can use the ONNX model `kind`/`name` on some known worker class, and of which
 * family: the tenant's own private model (announced as `<tenant>/<name>`) first, else a public
 * or MODELS_DIR one. Another tenant's private model is as unknown as a missing one. Called at
 * submit time (e.g. a generation's `controlnets[i].model`) with the catalog's worker classes.
 */
export function findAvailableOnnxModel(classes: readonly WorkerClassRecord[], kind: OnnxModelKind, name: string, tenant: string): AvailableOnnxModel | undefined {
  for (const [announced, isPrivate] of [[`${tenant}/${name}`, true], [name, false]] as const) {
    if (!isPrivate && name.includes('/')) return undefined;
    const having = classes.flatMap((record) => record.onnx_models.filter((model) => model.kind === kind && model.name === announced).map((model) => ({ record, model })));
    if (having.length === 0) continue;
    return {
      kind,
      name,
      baseFamily: having.find(({ model }) => model.base_family !== undefined)?.model.base_family,
      preprocessor: having.find(({ model }) => model.preprocessor !== undefined)?.model.preprocessor,
      scale: having.find(({ model }) => model.scale !== undefined)?.model.scale,
      crossAttentionDim: having.find(({ model }) => model.cross_attention_dim !== undefined)?.model.cross_attention_dim,
      workerClasses: [...new Set(having.map(({ record }) => record.worker_class))].sort(),
      private: isPrivate,
      announcedName: announced,
    };
  }
  return undefined;
}

/** Every ONNX model of `kind` the tenant can use, by name (see findAvailableOnnxModel). */
export function onnxModelsForTenant(classes: readonly WorkerClassRecord[], kind: OnnxModelKind, tenant: string): Map<string, AvailableOnnxModel> {
  const own = `${tenant}/`;
  const names = new Set(classes.flatMap((record) => record.onnx_models.filter((model) => model.kind === kind).map((model) => model.name)));
  const usable = new Map<string, AvailableOnnxModel>();
  for (const announced of names) {
    const name = announced.startsWith(own) ? announced.slice(own.length) : announced.includes('/') ? undefined : announced;
    const found = name === undefined || usable.has(name) ? undefined : findAvailableOnnxModel(classes, kind, name, tenant);
    if (found) usable.set(found.name, found);
  }
  return usable;
}
