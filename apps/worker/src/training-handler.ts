import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AppConfig } from '@atelier/config';
import { ErrorCode, trainingJobSchema, trainingTriggerWord, trainsPipeline, type TrainingMethod, type TrainingRecord, type TrainingRequest } from '@atelier/contracts';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import type { TrainingLifecycle } from '@atelier/lifecycle';
import { TrainingStore } from '@atelier/records';
import type { AdapterRegistry } from '@atelier/registry';
import { AdapterImportError, adapterKeys } from '@atelier/registry';
import type { ObjectStorage } from '@atelier/storage';
import { createHash } from 'node:crypto';
import {
  BuiltInDreamBoothEngine,
  BuiltInLoraEngine,
  BuiltInTextualInversionEngine,
  DatasetError,
  InvalidTrainingJobError,
  KohyaEngine,
  TrainingCanceledError,
  createTrainingJob,
  kohyaSettingsFromEnv,
  loadDataset,
  type TrainerEngine,
  type TrainingCheckpoint,
  type TrainingExample,
  type TrainingEvent,
  type TrainingParamsInput,
} from '@atelier/training';
import { isWorkerShutdown } from '@atelier/jobs';
import { farmPolicies } from '@atelier/outbound';
import { downloadSource, SourceUnavailableError } from './source-download.js';
import type { ModelService } from './model-service.js';
import type { ClassPictureDrawer } from './class-pictures.js';
import { registerFineTunedPipeline } from './fine-tuned-pipeline.js';

export interface TrainingHandlerDeps {
  readonly config: AppConfig;
  readonly trainings: TrainingStore;
  /** Every status change (and, atomically with it, its webhook) goes through here. */
  readonly lifecycle: TrainingLifecycle;
  readonly storage: ObjectStorage;
  readonly registry: AdapterRegistry;
  readonly models: ModelService;
  readonly logger: Logger;
  /** A training holds the whole GPU: generation work is paused around it. */
  readonly holdGpu: () => Promise<() => void>;
  /** DreamBooth's prior-preservation pictures, drawn by the base model. */
  readonly classPictures: ClassPictureDrawer;
}

interface Registered {
  readonly artifact: { readonly key: string; readonly sha256: string; readonly size: number };
  readonly modelId: string;
}

const PROGRESS_WEBHOOK_EVERY = 0.1;

/**
 * Runs one LoRA training: dataset validated before any GPU time, checkpoints (LoRA + optimizer)
 * to storage every `save_every` steps, a resumed attempt continuing from the last one, and the
 * result registered as a LoRA generation requests can use at once.
 */
export class TrainingHandler {
  constructor(private readonly deps: TrainingHandlerDeps) {}

  /** `sdxl`: the base has a second text encoder (kohya then runs its sdxl_* scripts). */
  private engine(method: TrainingMethod, sdxl: boolean): TrainerEngine {
    if (this.deps.config.env.TRAINER_ENGINE === 'kohya') {
      const settings = kohyaSettingsFromEnv();
      if (!settings) throw new UnrecoverableError('TRAINER_ENGINE=kohya needs KOHYA_TRAIN_NETWORK (path to sd-scripts train_network.py)');
      // kohya trains PyTorch weights: KOHYA_PRETRAINED_DIR/<base model id>.safetensors (the checkpoint the export came from).
      const pretrainedDir = process.env.KOHYA_PRETRAINED_DIR;
      const architecture = (): 'sd1' | 'sdxl' => (sdxl ? 'sdxl' : 'sd1');
      return new KohyaEngine(pretrainedDir ? { ...settings, architecture, pretrainedModel: (base) => `${pretrainedDir}/${base.id}.safetensors` } : { ...settings, architecture });
    }
    if (method === 'dreambooth' || method === 'finetune') return new BuiltInDreamBoothEngine();
    return method === 'textual_inversion' ? new BuiltInTextualInversionEngine() : new BuiltInLoraEngine();
  }

  async handle(job: Job, signal: AbortSignal | undefined): Promise<{ model_id: string } | { canceled: true }> {
    const { trainings, lifecycle } = this.deps;
    const { trainingId: id } = trainingJobSchema.parse(job.data);
    const log = this.deps.logger.child({ training_id: id, job_id: job.id });
    const record = await trainings.get(id);
    if (!record) throw new UnrecoverableError(`training ${id} has no record`);
    if (TrainingStore.isTerminal(record.status)) return { canceled: true };
    if (record.cancel_requested) {
      await lifecycle.cancel(id);
      return { canceled: true };
    }
    const attempt = job.attemptsMade + 1;
    // training.started (first attempt only) is recorded in the same atomic step.
    await lifecycle.start(id, this.deps.config.workerId, attempt);
    const release = await this.deps.holdGpu();
    try {
      const result = await this.train(record, job, signal, log);
      const registered = await this.register(record, result.safetensors);
      await lifecycle.succeed(id, registered.artifact, registered.modelId);
      log.info({ model_id: registered.modelId, final_loss: result.finalLoss }, 'training succeeded');
      return { model_id: registered.modelId };
    } catch (error) {
      if (error instanceof TrainingCanceledError && isWorkerShutdown(signal?.reason)) {
        // Handed back on shutdown: another worker resumes from the last checkpoint.
        throw new Error('worker shut down during training; resuming elsewhere from the last checkpoint', { cause: error });
      }
      if (error instanceof TrainingCanceledError) {
        await lifecycle.cancel(id);
        return { canceled: true };
      }
      const permanent = error instanceof DatasetError || error instanceof InvalidTrainingJobError || error instanceof UnrecoverableError;
      const final = permanent || attempt >= (job.opts.attempts ?? 1);
      log.warn({ err: error, attempt, final }, 'training attempt failed');
      if (final) {
        const code = error instanceof DatasetError ? 'invalid_dataset' : error instanceof InvalidTrainingJobError ? ErrorCode.ValidationFailed : ErrorCode.Internal;
        await lifecycle.fail(id, { code, message: (error as Error).message });
        throw new UnrecoverableError((error as Error).message);
      }
      throw error;
    } finally {
      release();
    }
  }

  /**
   * A LoRA under its output name; an embedding under its placeholder token, the word prompts use;
   * a DreamBooth or finetune checkpoint kept as the artifact and served as a new pipeline.
   */
  private async register(record: TrainingRecord, bytes: Uint8Array): Promise<Registered> {
    const { request, id } = record;
    if (trainsPipeline(request)) {
      const modelsPrefix = this.deps.config.env.MODELS_STORAGE_PREFIX;
      if (!modelsPrefix) throw new InvalidTrainingJobError([{ field: 'method', message: `${request.method} registers a pipeline, which needs MODELS_STORAGE_PREFIX` }]);
      const name = outputName(request, id);
      const key = `trainings/${id}/${name}.safetensors`;
      await this.deps.storage.put(key, Buffer.from(bytes), 'application/octet-stream');
      const base = this.deps.models.catalog.get(request.base_model);
      if (!base) throw new UnrecoverableError(`base model ${request.base_model} is not served by this worker`);
      // A name a served model already has would shadow it for every tenant.
      if (this.deps.models.catalog.get(name)) throw new InvalidTrainingJobError([{ field: 'output_name', message: `"${name}" is already a served model` }]);
      const manifest = await registerFineTunedPipeline(this.deps.storage, { checkpoint: bytes, baseDir: base.folder.dir, modelsPrefix, trainingId: id, name, tenant: record.tenant }).catch((error: unknown) => {
        if (error instanceof AdapterImportError) throw new InvalidTrainingJobError([{ field: 'output_name', message: error.message }]);
        throw error;
      });
      // This worker serves it before the training reports success (its next heartbeat announces it).
      await this.deps.models.refresh();
      return { artifact: { key, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }, modelId: `pipeline:${manifest.id}` };
    }
    const common = { tenant: record.tenant, visibility: 'private' as const, bytes, source: `training:${id}`, baseModel: request.base_model };
    const manifest =
      request.method === 'textual_inversion'
        ? await this.deps.registry.import({ ...common, kind: 'embedding', name: request.placeholder_token, triggerWords: [request.placeholder_token] })
        : await this.deps.registry.import({ ...common, kind: 'lora', name: outputName(request, id), triggerWords: [request.method === 'lora' ? request.trigger_word : request.identifier] });
    return { artifact: { key: adapterKeys(manifest.kind, manifest.name, manifest).file, sha256: manifest.sha256, size: manifest.size }, modelId: manifest.id };
  }

  private async train(record: TrainingRecord, job: Job, signal: AbortSignal | undefined, log: Logger) {
    const { trainings, storage } = this.deps;
    const request = record.request;
    const model = this.deps.models.catalog.get(request.base_model);
    if (!model) throw new UnrecoverableError(`base model ${request.base_model} is not served by this worker`);
    const bytes = await this.datasetBytes(record.dataset_key);
    const dataset = await loadDataset(
      { kind: 'zip', bytes },
      {
        resolution: { width: request.resolution, height: request.resolution },
        triggerWord: trainingTriggerWord(request),
        // DreamBooth: images without a caption are "<instance prompt>" (kohya's folder-name class tokens).
        captionTemplate: request.caption_template ?? (request.method === 'dreambooth' || request.method === 'dreambooth_lora' ? request.instance_prompt : undefined),
        minWidth: Math.min(64, request.resolution),
        minHeight: Math.min(64, request.resolution),
        maxTotalBytes: this.deps.config.env.MAX_DATASET_BYTES * 4,
      },
    );
    const trainingJob = createTrainingJob(record.id, {
      ...methodParams(request, record.id),
      baseModel: { id: model.id, dir: model.folder.dir },
      maxTrainSteps: request.steps,
      learningRate: request.learning_rate,
      batchSize: request.batch_size,
      resolution: { width: request.resolution, height: request.resolution },
      seed: request.seed,
      saveEvery: request.save_every,
      sampleEvery: request.sample_prompts.length > 0 ? request.save_every : 0,
      samplePrompts: request.sample_prompts,
      lrScheduler: request.lr_scheduler,
      lrWarmupSteps: request.lr_warmup_steps,
      minSnrGamma: request.min_snr_gamma,
    }, dataset.examples, await this.priorImages(request, model.id));
    const prepared = await this.engine(request.method, model.folder.components.textEncoder2 !== undefined).prepare(trainingJob);
    try {
      const last = (await trainings.get(record.id))?.checkpoints.at(-1);
      const resumeFrom: TrainingCheckpoint | undefined = last
        ? { step: last.step, loraState: new Uint8Array(await storage.get(last.lora_key)), optimizerState: new Uint8Array(await storage.get(last.optimizer_key)) }
        : undefined;
      if (resumeFrom) {
        log.info({ step: resumeFrom.step }, 'resuming training from checkpoint');
        await trainings.markResumed(record.id, resumeFrom.step);
      }
      let lastWrite = 0;
      let nextWebhook = PROGRESS_WEBHOOK_EVERY;
      const onProgress = async (event: TrainingEvent): Promise<void> => {
        if (event.type === 'step') {
          const now = performance.now();
          if (event.step === event.totalSteps || now - lastWrite > this.deps.config.env.PROGRESS_INTERVAL_MS) {
            lastWrite = now;
            await trainings.writeProgress(record.id, event.step, event.totalSteps, event.loss);
            await job.updateProgress({ step: event.step, total: event.totalSteps, loss: event.loss });
          }
          if (event.step / event.totalSteps >= nextWebhook) {
            nextWebhook += PROGRESS_WEBHOOK_EVERY;
            await this.deps.lifecycle.progress(record.id);
          }
        } else if (event.type === 'checkpoint') {
          const base = `trainings/${record.id}/checkpoints/${String(event.checkpoint.step).padStart(7, '0')}`;
          // The weights so far: a LoRA, or (textual inversion) the embedding file.
          const weightsKey = `${base}.${WEIGHTS_SUFFIX[request.method]}.safetensors`;
          await storage.put(weightsKey, Buffer.from(event.checkpoint.loraState), 'application/octet-stream');
          await storage.put(`${base}.optimizer.bin`, Buffer.from(event.checkpoint.optimizerState), 'application/octet-stream');
          await trainings.addCheckpoint(record.id, { step: event.checkpoint.step, lora_key: weightsKey, optimizer_key: `${base}.optimizer.bin` });
        } else if (event.type === 'sample' && event.image) {
          const key = `trainings/${record.id}/samples/${String(event.step).padStart(7, '0')}-${Buffer.from(event.prompt).toString('hex').slice(0, 16)}.png`;
          await storage.put(key, encodePng(toRgb8(event.image.data), event.image.width, event.image.height, { parameters: event.prompt }), 'image/png');
          await trainings.addSample(record.id, { step: event.step, prompt: event.prompt, key });
        }
      };
      return await prepared.run({ onProgress, signal, resumeFrom });
    } finally {
      await prepared.dispose();
    }
  }

  /** DreamBooth with a class prompt: the base model's pictures of the class (undefined for other methods). */
  private async priorImages(request: TrainingRequest, modelId: string): Promise<TrainingExample[] | undefined> {
    if (request.method !== 'dreambooth' && request.method !== 'dreambooth_lora') return undefined;
    if (request.class_prompt === undefined) return [];
    const loaded = await this.deps.models.find(modelId);
    if (!loaded) throw new UnrecoverableError(`base model ${modelId} is not served by this worker`);
    return this.deps.classPictures(loaded, { prompt: request.class_prompt, count: request.num_class_images, size: request.resolution, seed: request.seed });
  }

  private async datasetBytes(key: string): Promise<Uint8Array> {
    if (key.startsWith('https://')) {
      const policy = farmPolicies(this.deps.config.env).downloads;
      const bytes = await downloadSource(key, { policy, maxBytes: this.deps.config.env.MAX_DATASET_BYTES, timeoutMs: 10 * 60_000 }).catch((error: unknown) => {
        // One reason for every failure (see SourceUnavailableError); permanent, like any bad dataset.
        if (error instanceof SourceUnavailableError) throw new DatasetError([{ file: '(dataset)', reason: error.message }]);
        throw error;
      });
      return new Uint8Array(bytes);
    }
    const storageKey = key.startsWith('s3://') ? key.split('/').slice(3).join('/') : key;
    return new Uint8Array(await this.deps.storage.get(storageKey));
  }
}

/** What a checkpoint's weights file holds, per method. */
const WEIGHTS_SUFFIX: Record<TrainingMethod, string> = { lora: 'lora', textual_inversion: 'embedding', dreambooth: 'unet', dreambooth_lora: 'lora', finetune: 'unet' };

/** The registered name: output_name, or a default from the concept word and the training id. */
function outputName(request: Exclude<TrainingRequest, { method: 'textual_inversion' }>, id: string): string {
  if (request.output_name) return request.output_name;
  if (request.method === 'dreambooth') return `dreambooth-${request.identifier}-${id.slice(4, 12)}`;
  if (request.method === 'finetune') return `finetune-${id.slice(4, 12)}`;
  return `${request.method === 'lora' ? request.trigger_word : request.identifier}-${id.slice(4, 12)}`;
}

/** The job parameters only one method has, in the engine's vocabulary. */
function methodParams(request: TrainingRequest, id: string): Pick<TrainingParamsInput, 'method' | 'outputName' | 'triggerWord' | 'network' | 'priorPreservation' | 'textualInversion'> {
  if (request.method === 'textual_inversion') {
    return {
      method: 'textual_inversion',
      outputName: request.placeholder_token,
      triggerWord: request.placeholder_token,
      textualInversion: { placeholderToken: request.placeholder_token, initializerToken: request.initializer_token, numVectors: request.num_vectors },
    };
  }
  if (request.method === 'dreambooth_lora') {
    // A LoRA like any other; only its data (instance prompt, farm-drawn class pictures) is DreamBooth's.
    return {
      method: 'lora',
      outputName: outputName(request, id),
      triggerWord: request.identifier,
      network: { rank: request.rank, alpha: request.alpha },
      priorPreservation: request.class_prompt ? { classPrompt: request.class_prompt, weight: request.prior_loss_weight } : undefined,
    };
  }
  if (request.method === 'finetune') {
    // The captions say everything; the output name stands in for a concept word in the metadata.
    return { method: 'finetune', outputName: outputName(request, id), triggerWord: outputName(request, id) };
  }
  if (request.method === 'dreambooth') {
    return {
      method: 'dreambooth',
      outputName: outputName(request, id),
      triggerWord: request.identifier,
      priorPreservation: request.class_prompt ? { classPrompt: request.class_prompt, weight: request.prior_loss_weight } : undefined,
    };
  }
  return {
    method: 'lora',
    outputName: outputName(request, id),
    triggerWord: request.trigger_word,
    network: { rank: request.rank, alpha: request.alpha },
    priorPreservation: request.class_prompt ? { classPrompt: request.class_prompt, weight: request.prior_loss_weight } : undefined,
  };
}
