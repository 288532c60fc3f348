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
  controlnets: z.array(announcedControlNetSchema).default([]),
  /** Preprocessor model folders (depth, softedge, openpose) its workers have. */
  preprocessors: z.array(z.string()).default([]),
  /** Its workers load pipelines imported into object storage (MODELS_STORAGE_PREFIX is set). */
  remote_models: z.boolean().default(false),
  last_seen: z.string(),
});
export type WorkerClassRecord = z.infer<typeof workerClassSchema>;

/** What a queued job needs from the worker that runs it. */
export interface JobRequirements {
  /** The model and, when the job asks for its refiner, the refiner model: one worker runs both. */
  readonly models: readonly string[];
  readonly loras: readonly string[];
  readonly controlnets?: readonly string[];
  readonly preprocessors?: readonly string[];
}

interface RoutedControlNet {
  readonly model: string;
  readonly preprocessor: string;
}

/** `preprocessorFolder`: the model folder a preprocessor needs, undefined when it runs in code. */
export function requirementsOf(
  request: { model: string; refiner: boolean; loras: ReadonlyArray<{ name: string }>; controlnets?: readonly RoutedControlNet[] },
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
  };
}

/**
 * Whether the workers of a class can run a job: they announced every model it needs (or the model
 * is a pipeline imported into object storage and they load those) every LoRA it applies, every ControlNet and preprocessor model it runs.
 */
export function classMeets(record: WorkerClassRecord, requirements: JobRequirements, importedPipelines: ReadonlySet<string> = new Set()): boolean {
  const serves = (model: string): boolean => record.models.includes(model) || (record.remote_models && importedPipelines.has(model));
  return (
    requirements.models.every(serves) &&
    requirements.loras.every((lora) => record.loras.includes(lora)) &&
    (requirements.controlnets ?? []).every((name) => record.controlnets.some((net) => net.name === name)) &&
    (requirements.preprocessors ?? []).every((folder) => record.preprocessors.includes(folder))
  );
}
