import { z } from 'zod';

/** A ControlNet a worker can load, with the base family it was trained for. */
export const announcedControlNetSchema = z.object({
  name: z.string(),
  /** `sd` (SD 1.x/2.x, told apart by cross_attention_dim) or `sdxl`. */
  base: z.enum(['sd', 'sdxl']),
  cross_attention_dim: z.number().int().positive().nullable(),
});
export type AnnouncedControlNet = z.infer<typeof announcedControlNetSchema>;

/**
 * An ONNX model (ControlNet, preprocessor, upscaler…) a worker can run: registry kind, name
 * (`<tenant>/<name>` for a tenant's private model, as LoRAs) and, for a ControlNet, its family.
 */
export const announcedOnnxModelSchema = z.object({
  kind: z.string(),
  name: z.string(),
  base_family: z.string().optional(),
});
export type AnnouncedOnnxModelRecord = z.infer<typeof announcedOnnxModelSchema>;

/**
 * What a worker class announced the last time one of its workers sent a heartbeat. Kept in Redis
 * without a TTL, so the farm still knows which models it can serve (and which queue to put their
 * jobs on) while the class runs zero workers: that is what lets an autoscaler start one.
 */
/** A preprocessor ONNX model a worker has, and the preprocessors it serves (depth, softedge, scribble, openpose). */
export const announcedPreprocessorSchema = z.object({ name: z.string(), kinds: z.array(z.string()) });
export type AnnouncedPreprocessor = z.infer<typeof announcedPreprocessorSchema>;

export const workerClassSchema = z.object({
  worker_class: z.string(),
  queue: z.string(),
  models: z.array(z.string()),
  loras: z.array(z.string()).default([]),
  embeddings: z.array(z.string()).default([]),
  onnx_models: z.array(announcedOnnxModelSchema).default([]),
  controlnets: z.array(announcedControlNetSchema).default([]),
  /** Its workers load pipelines imported into object storage (MODELS_STORAGE_PREFIX is set). */
  remote_models: z.boolean().default(false),
  /** Image tasks: the class's image task queue and the preprocessor models its workers have. */
  image_task_queue: z.string().optional(),
  preprocessors: z.array(announcedPreprocessorSchema).default([]),
  last_seen: z.string(),
});
export type WorkerClassRecord = z.infer<typeof workerClassSchema>;

/** What a queued job needs from the worker that runs it. */
export interface JobRequirements {
  /** The model and, when the job asks for its refiner, the refiner model: one worker runs both. */
  readonly models: readonly string[];
  readonly loras: readonly string[];
  /**
   * ONNX models it runs (a ControlNet, an upscaler…), by kind and the name workers announce
   * (`<tenant>/<name>` for a private one: see findAvailableOnnxModel in the API).
   */
  readonly onnxModels?: ReadonlyArray<{ readonly kind: string; readonly name: string }>;
  readonly controlnets?: readonly string[];
  /** Preprocessor model folders (MODELS_DIR/preprocessors/<name>) its ControlNet units need. */
  readonly preprocessors?: readonly string[];
}

interface RoutedControlNet {
  readonly model: string;
  readonly preprocessor: string;
}

/** `preprocessorFolder`: the model folder a preprocessor needs, undefined when it runs in code. */
export function requirementsOf(
  request: { model: string; refiner: boolean; loras: ReadonlyArray<{ name: string }>; controlnets?: readonly RoutedControlNet[]; onnx_models?: ReadonlyArray<{ kind: string; name: string }> },
  refinerOf: (model: string) => string | null | undefined,
  preprocessorFolder: (preprocessor: string) => string | undefined = () => undefined,
): JobRequirements {
  const refiner = request.refiner ? refinerOf(request.model) : undefined;
  const controlnets = request.controlnets ?? [];
  return {
    models: refiner ? [request.model, refiner] : [request.model],
    loras: request.loras.map((lora) => lora.name),
    controlnets: controlnets.map((unit) => unit.model),
    preprocessors: controlnets.flatMap((unit) => preprocessorFolder(unit.preprocessor) ?? []),
    // Registry ONNX models of chained steps (upscalers, face and SAM models), as the resolver listed them.
    ...(request.onnx_models && request.onnx_models.length > 0 ? { onnxModels: request.onnx_models } : {}),
  };
}

/**
 * Whether the workers of a class can run a job: they announced every model it needs (or the model
 * is a pipeline imported into object storage and they load those), every LoRA it applies, every
 * ONNX model it runs, every ControlNet and every preprocessor model its ControlNet units need.
 */
export function classMeets(record: WorkerClassRecord, requirements: JobRequirements, importedPipelines: ReadonlySet<string> = new Set()): boolean {
  const serves = (model: string): boolean => record.models.includes(model) || (record.remote_models && importedPipelines.has(model));
  const hasOnnx = (wanted: { kind: string; name: string }): boolean => record.onnx_models.some((model) => model.kind === wanted.kind && model.name === wanted.name);
  return (
    requirements.models.every(serves) &&
    requirements.loras.every((lora) => record.loras.includes(lora)) &&
    (requirements.onnxModels ?? []).every(hasOnnx) &&
    (requirements.controlnets ?? []).every((name) => record.controlnets.some((net) => net.name === name)) &&
    (requirements.preprocessors ?? []).every((folder) => record.preprocessors.some((entry) => entry.name === folder))
  );
}
