import { z } from 'zod';

/**
 * An ONNX model (ControlNet, preprocessor, upscaler…) a worker can run: registry kind, name
 * (`<tenant>/<name>` for a tenant's private model, as LoRAs) and, for a ControlNet, its family.
 */
export const announcedOnnxModelSchema = z.object({
  kind: z.string(),
  name: z.string(),
  base_family: z.string().optional(),
  /** A preprocessor model's preprocessor (depth, softedge, openpose; scribble uses softedge models). */
  preprocessor: z.string().optional(),
  /** An upscaler's factor. */
  scale: z.number().optional(),
  /** ControlNet: the text-feature width it attends to (config.json's cross_attention_dim), when known. */
  cross_attention_dim: z.number().int().positive().optional(),
});
export type AnnouncedOnnxModelRecord = z.infer<typeof announcedOnnxModelSchema>;

/**
 * What a worker class announced the last time one of its workers sent a heartbeat. Kept in Redis
 * without a TTL, so the farm still knows which models it can serve (and which queue to put their
 * jobs on) while the class runs zero workers: that is what lets an autoscaler start one.
 */
export const workerClassSchema = z.object({
  worker_class: z.string(),
  queue: z.string(),
  models: z.array(z.string()),
  loras: z.array(z.string()).default([]),
  embeddings: z.array(z.string()).default([]),
  onnx_models: z.array(announcedOnnxModelSchema).default([]),
  /** Its workers load pipelines imported into object storage (MODELS_STORAGE_PREFIX is set). */
  remote_models: z.boolean().default(false),
  /** Image tasks: the class's image task queue (the models they run are in onnx_models). */
  image_task_queue: z.string().optional(),
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
  readonly onnxModels?: ReadonlyArray<OnnxRequirement>;
}

/** One ONNX model a job runs, by kind and the name workers announce it by. */
export interface OnnxRequirement {
  readonly kind: string;
  readonly name: string;
}

interface RoutedControlNet {
  readonly model: string;
  readonly preprocessor: string;
}

/**
 * `onnx_models`: what the API resolved the job's ONNX models to (announced names, a tenant's
 * private one as `<tenant>/<name>`). Jobs stored before it was recorded route on their
 * ControlNets and preprocessor models by public name. `preprocessorFolder`: the preprocessor
 * model a ControlNet preprocessor needs, undefined when it runs in code.
 */
export function requirementsOf(
  request: { model: string; refiner: boolean; loras: ReadonlyArray<{ name: string }>; controlnets?: readonly RoutedControlNet[]; onnx_models?: readonly OnnxRequirement[] },
  refinerOf: (model: string) => string | null | undefined,
  preprocessorFolder: (preprocessor: string) => string | undefined = () => undefined,
): JobRequirements {
  const refiner = request.refiner ? refinerOf(request.model) : undefined;
  const controlnets = request.controlnets ?? [];
  const legacy = (): OnnxRequirement[] => [
    ...controlnets.map((unit) => ({ kind: 'controlnet', name: unit.model })),
    ...[...new Set(controlnets.flatMap((unit) => preprocessorFolder(unit.preprocessor) ?? []))].map((name) => ({ kind: 'preprocessor', name })),
  ];
  return {
    models: refiner ? [request.model, refiner] : [request.model],
    loras: request.loras.map((lora) => lora.name),
    onnxModels: request.onnx_models ?? legacy(),
  };
}

/**
 * Whether the workers of a class can run a job: they announced every model it needs (or the model
 * is a pipeline imported into object storage and they load those), every LoRA it applies, every
 * ONNX model it runs (ControlNets, their preprocessor models, IP-Adapters…).
 */
export function classMeets(record: WorkerClassRecord, requirements: JobRequirements, importedPipelines: ReadonlySet<string> = new Set()): boolean {
  const serves = (model: string): boolean => record.models.includes(model) || (record.remote_models && importedPipelines.has(model));
  const hasOnnx = (wanted: { kind: string; name: string }): boolean => record.onnx_models.some((model) => model.kind === wanted.kind && model.name === wanted.name);
  return (
    requirements.models.every(serves) &&
    requirements.loras.every((lora) => record.loras.includes(lora)) &&
    (requirements.onnxModels ?? []).every(hasOnnx)
  );
}
