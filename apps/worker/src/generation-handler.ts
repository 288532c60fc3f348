import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { sourceImageLimits, type AppConfig } from '@atelier/config';
import { farmPolicies } from '@atelier/outbound';
import { ErrorCode, GenerationStatus, generationJobSchema, type GenerationError, type GenerationRecord, type StoredOutput } from '@atelier/contracts';
import {
  GenerationCanceledError,
  InvalidImageError,
  InvalidModelError,
  UnsupportedRequestError,
  encodeOutput,
  formatInfotext,
  generateWithHiresFix,
  toRgb8,
  type GenerationHooks,
  type GenerationParams,
  type GenerationResult,
  type LoadedModel,
  type SessionLease,
  type StableDiffusionPipeline,
} from '@atelier/diffusion';
import { UnknownSchedulerError } from '@atelier/diffusion';
import type { FarmMetrics } from '@atelier/metrics';
import type { GenerationLifecycle } from '@atelier/lifecycle';
import { isWorkerShutdown } from '@atelier/jobs';
import { refOf, type GenerationRef, type GenerationStore } from '@atelier/records';
import type { ObjectStorage } from '@atelier/storage';
import type { Logger } from 'pino';
import { buildGenerationParams, type InputLimits } from './generation-inputs.js';
import type { ModelService } from './model-service.js';
import { throttleProgress } from './progress-throttle.js';
import type { TenantSlots } from './tenant-slots.js';
import { jobDeadline } from './job-deadline.js';
import { putWithRetry } from './put-with-retry.js';
import { BatchCollector, type PullJob } from './batch-collector.js';
import { batchKey } from './batch-key.js';
import { ControlNetPreparation } from './control-inputs.js';
import { controlInfotext, storeControlMaps } from './control-outputs.js';
import type { ControlNetFolders, OnnxLocator } from './controlnet-folders.js';
import { IpAdapterPreparation, ipAdapterInfotext } from './ip-adapter-inputs.js';
import { ChainedStepError } from './chained-steps/chained-step-error.js';
import { DecodedImagePipeline } from './chained-steps/decoded-image-steps.js';
import { storeProcessedImage } from './chained-steps/processed-outputs.js';
import { hiresFixFor } from './chained-steps/hires-upscaler.js';
import { PromptedMasks, type PromptedMask } from './chained-steps/mask-from-prompt.js';
import { fetchImageBytes } from './image-source.js';

class PermanentJobError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps anything thrown while running a job to a stable error code and whether retrying helps. */
function classify(error: unknown): { error: GenerationError; permanent: boolean } {
  if (error instanceof PermanentJobError || error instanceof ChainedStepError) return { error: { code: error.code, message: error.message }, permanent: true };
  if (error instanceof InvalidImageError) return { error: { code: ErrorCode.InvalidImage, message: error.message }, permanent: true };
  if (error instanceof UnsupportedRequestError) return { error: { code: ErrorCode.UnsupportedParameter, message: error.message }, permanent: true };
  if (error instanceof UnknownSchedulerError) return { error: { code: ErrorCode.ValidationFailed, message: error.message }, permanent: true };
  if (error instanceof InvalidModelError) return { error: { code: ErrorCode.ModelLoadFailed, message: error.message }, permanent: true };
  if (error instanceof UnrecoverableError) return { error: { code: ErrorCode.Internal, message: error.message }, permanent: true };
  return { error: { code: ErrorCode.InferenceFailed, message: error instanceof Error ? error.message : String(error) }, permanent: false };
}

export interface GenerationHandlerDeps {
  readonly config: AppConfig;
  readonly store: GenerationStore;
  /** Every status change (and, atomically with it, its webhook) goes through here. */
  readonly lifecycle: GenerationLifecycle;
  readonly storage: ObjectStorage;
  readonly models: ModelService;
  readonly pipeline: StableDiffusionPipeline;
  readonly metrics: FarmMetrics;
  readonly logger: Logger;
  readonly tenantSlots: TenantSlots;
  readonly controlnets: ControlNetFolders;
  /** The registry lookup of ONNX models (ModelService.locateOnnx), for IP-Adapters. */
  readonly locateOnnx: OnnxLocator;
  /** Where preprocessor sessions come from (the worker's SessionPool); absent: opened and kept by the preprocessors. */
  readonly preprocessorSessions?: (file: string) => Promise<SessionLease>;
}

interface BatchPayload {
  readonly model: LoadedModel;
  readonly params: GenerationParams;
  readonly hooks: GenerationHooks;
}

/**
 * Runs one `generate-image` job from record to uploaded outputs and a terminal state. Compatible
 * jobs (see batchKey) share one UNet batch; each keeps its own lifecycle, progress and cancel.
 */
export class GenerationHandler {
  private readonly inputLimits: InputLimits;
  private readonly batches: BatchCollector<BatchPayload, GenerationResult>;
  private readonly controlInputs: ControlNetPreparation;
  private readonly ipAdapterInputs: IpAdapterPreparation;
  private readonly promptedMasks: PromptedMasks;

  constructor(private readonly deps: GenerationHandlerDeps) {
    this.inputLimits = { image: sourceImageLimits(deps.config.env), policy: farmPolicies(deps.config.env).images };
    this.controlInputs = new ControlNetPreparation(deps.controlnets, this.inputLimits, deps.preprocessorSessions);
    this.ipAdapterInputs = new IpAdapterPreparation(deps.locateOnnx, this.inputLimits);
    this.promptedMasks = new PromptedMasks(deps.config.env.MAX_PIXELS);
    this.batches = new BatchCollector({
      windowMs: deps.config.env.BATCH_WINDOW_MS,
      maxImages: deps.config.env.MAX_CROSS_REQUEST_BATCH,
      concurrency: deps.config.env.WORKER_CONCURRENCY,
      run: (payloads) =>
        deps.pipeline.generateTogether(
          payloads[0].model,
          payloads.map(({ params, hooks }) => ({ params, hooks })),
        ),
    });
  }

  /** The job left this worker (whatever the outcome): a batch waiting for it stops waiting. */
  finished(jobId: string): void {
    this.batches.left(jobId);
  }

  /** `pull` (jobs the worker took itself): how this job finds companions for its UNet batch. */
  async handle(job: Job, token: string | undefined, signal: AbortSignal | undefined, pull?: PullJob): Promise<{ outputs: number }> {
    const { store } = this.deps;
    const parsed = generationJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`unsupported generate-image payload: ${parsed.error.message}`);
    const { generationId: id, batchId } = parsed.data;
    const record = await store.get(id);
    if (!record) throw new UnrecoverableError(`generation ${id} has no record`);
    const log = this.deps.logger.child({ generation_id: id, job_id: job.id, batch_id: batchId, tenant: record.tenant });
    if (record.status === GenerationStatus.Canceled) return { outputs: 0 };
    if (record.cancel_requested) {
      await this.cancel(refOf(record), log);
      return { outputs: 0 };
    }
    const key = this.deps.config.env.MAX_CROSS_REQUEST_BATCH > 1 ? batchKey(record.request, this.deps.config.env.MAX_CROSS_REQUEST_BATCH) : undefined;
    this.batches.reserve(id, key, record.request.samples);
    const slot = await this.deps.tenantSlots.acquire(record.tenant, id);
    if (!slot) {
      // The tenant already runs its maximum: come back shortly without spending an attempt.
      await job.moveToDelayed(Date.now() + 1_000, token);
      throw new DelayedError();
    }
    try {
      return await this.run(job, token, signal, record, log, { key, pull });
    } finally {
      await this.deps.tenantSlots.release(record.tenant, id);
    }
  }

  private async run(
    job: Job,
    token: string | undefined,
    jobSignal: AbortSignal | undefined,
    record: GenerationRecord,
    log: Logger,
    batch: { key: string | undefined; pull: PullJob | undefined },
  ): Promise<{ outputs: number }> {
    const { store, lifecycle, metrics } = this.deps;
    const { generationId: id, submittedAt } = generationJobSchema.parse(job.data);
    const deadline = jobDeadline(Date.parse(record.created_at) + this.deps.config.env.JOB_DEADLINE_MS, jobSignal);
    const signal = deadline.signal;
    const attempt = job.attemptsMade + 1;
    const startedAt = new Date();
    const ref = refOf(record);
    // generation.started (first attempt only) is recorded in the same atomic step.
    const started = await lifecycle.start(ref, this.deps.config.workerId, attempt, startedAt);
    if (!started.applied) return { outputs: 0 };
    const queueWaitMs = startedAt.getTime() - Date.parse(submittedAt);
    metrics.queueWait.observe({ job_type: 'generation' }, queueWaitMs / 1000);
    metrics.workerBusy.inc();
    log.info({ attempt, model: record.request.model }, 'generation started');
    let decodedSteps: DecodedImagePipeline | undefined;
    try {
      const request = record.request;
      const model = await this.deps.models.find(request.model);
      if (!model) throw new PermanentJobError(ErrorCode.UnknownModel, `model ${request.model} is not served by this worker`);
      const refinerModel = request.refiner && model.folder.refiner ? await this.deps.models.find(model.folder.refiner) : undefined;
      if (request.refiner && !refinerModel) throw new PermanentJobError(ErrorCode.UnsupportedParameter, `refiner: ${request.model} has no refiner on this worker`);
      const baseParams = await buildGenerationParams(request, refinerModel, this.inputLimits, this.deps.models.adaptersFor(record.tenant));
      const control = await this.controlInputs.prepare(request, baseParams.width, baseParams.height, record.tenant);
      const ipAdapter = await this.ipAdapterInputs.prepare(request, record.tenant);
      const prompted = request.mask_prompt && request.init_image ? await this.maskFromPrompt(request.mask_prompt, request.init_image, baseParams, request.mask_blur, record.tenant) : undefined;
      const params = {
        ...baseParams,
        ...(prompted ? { maskImage: prompted.mask } : {}),
        ...(control ? { controlnets: control.controlnets, guessMode: control.guessMode } : {}),
        ...(ipAdapter ? { conditioning: [ipAdapter.conditioning] } : {}),
      };
      if (request.face_restore || request.upscale) {
        decodedSteps = await DecodedImagePipeline.open({ faceRestore: request.face_restore, upscale: request.upscale }, (kind, name) => this.deps.models.locateOnnx(kind, name, record.tenant), this.deps.config.env.MAX_UPSCALE_PIXELS);
      }
      // Progress counts the chained steps too: one unit per image and step after the denoising steps.
      const chainedUnits = decodedSteps ? params.seeds.length * decodedSteps.stepCount : 0;
      let denoisingTotal = 0;
      const writeProgress = throttleProgress(
        this.deps.config.env.PROGRESS_INTERVAL_MS,
        async (step, total) => {
          await store.writeProgress(id, step, total);
          await job.updateProgress({ step, total });
        },
        (error) => log.warn({ err: error }, 'progress write failed'),
      );
      const onStep = (step: number, total: number): void => {
        denoisingTotal = total;
        writeProgress(step, total + chainedUnits);
      };
      const inferenceStart = performance.now();
      const result = request.hires
        ? await this.runHires(model, params, request.hires, record.tenant, { signal, onStep })
        : await this.batches.submit(id, batch.key, params.seeds.length, { model, params, hooks: { signal, onStep } }, batch.pull);
      metrics.unetBatchSize.observe(result.stats.batchJobs);
      const inferenceMs = performance.now() - inferenceStart;
      metrics.inference.observe({ job_type: 'generation', model_family: model.family }, inferenceMs / 1000);
      if (result.stats.steps > 0) metrics.denoisingStep.observe({ model_family: model.family }, result.stats.loopMs / result.stats.steps / 1000);

      const chainedStart = performance.now();
      const processed = decodedSteps ? [] as Array<{ index: number; image: { width: number; height: number; channels: 3 | 4; data: Uint8Array } }> : undefined;
      if (decodedSteps && processed) {
        let unitsDone = 0;
        for (const [index, image] of result.images.entries()) {
          const pixels = { width: image.width, height: image.height, channels: 3 as const, data: toRgb8(image.pixels) };
          const onStepDone = (): void => writeProgress(denoisingTotal + ++unitsDone, denoisingTotal + chainedUnits);
          processed.push({ index, image: await decodedSteps.run(pixels, { signal, onStepDone }) });
        }
      }
      const chainedMs = performance.now() - chainedStart;
      if (processed) metrics.postprocess.observe({ kind: `generation_${decodedSteps?.outputKind ?? 'upscaled'}` }, chainedMs / 1000);

      const uploadStart = performance.now();
      const outputs: StoredOutput[] = [];
      const infotexts: string[] = [];
      for (const [index, image] of result.images.entries()) {
        const infotext = formatInfotext({
          prompt: request.styled.prompt,
          negativePrompt: request.styled.negative_prompt,
          steps: params.steps,
          sampler: result.sampler,
          guidanceScale: params.guidanceScale,
          seed: image.seed,
          width: image.width,
          height: image.height,
          model: model.id,
          extra: {
            ...(request.style !== 'base' ? { Style: request.style } : {}),
            ...(request.init_image ? { 'Denoising strength': request.strength } : {}),
            ...(request.hires ? { 'Denoising strength': request.hires.strength, 'Hires resize': `${request.hires.width}x${request.hires.height}`, 'Hires steps': request.hires.steps, 'Hires upscaler': request.hires.upscaler } : {}),
            ...(refinerModel ? { Refiner: refinerModel.id, 'Refiner switch at': request.high_noise_fraction } : {}),
            ...(request.mask_blur ? { 'Mask blur': request.mask_blur } : {}),
            ...(result.adapters.loras.length > 0 ? { Lora: result.adapters.loras.map((lora) => `${lora.name}:${lora.weight}`).join(' ') } : {}),
            ...(result.adapters.embeddings.length > 0 ? { 'TI': result.adapters.embeddings.join(' ') } : {}),
            ...controlInfotext(control),
            ...ipAdapterInfotext(ipAdapter),
          },
        });
        infotexts.push(infotext);
        const encoded = await encodeOutput(toRgb8(image.pixels), image.width, image.height, request.output_format, request.output_quality, infotext);
        const key = `generations/${id}/${index}.${encoded.extension}`;
        await this.upload(key, encoded.bytes, encoded.contentType, log);
        outputs.push({ index, kind: 'image', key, seed: image.seed, width: image.width, height: image.height, content_type: encoded.contentType });
      }
      for (const { index, image } of processed ?? []) {
        const kind = decodedSteps?.outputKind ?? 'upscaled';
        const stored = { generationId: id, index: outputs.length, sourceIndex: index, kind, image, baseWidth: result.images[index].width, seed: result.images[index].seed, infotext: infotexts[index], request };
        outputs.push(await storeProcessedImage(stored, (key, bytes, type) => this.upload(key, bytes, type, log)));
      }
      if (prompted) {
        const key = `generations/${id}/mask.png`;
        await this.upload(key, prompted.png, 'image/png', log);
        outputs.push({ index: outputs.length, kind: 'mask', key, seed: 0, width: prompted.width, height: prompted.height, content_type: 'image/png' });
      }
      if (control) outputs.push(...(await storeControlMaps(control.maps, id, outputs.length, (key, bytes, type) => this.upload(key, bytes, type, log))));
      const uploadMs = performance.now() - uploadStart;
      metrics.upload.observe({ job_type: 'generation' }, uploadMs / 1000);
      const finishedAt = new Date();
      const timings = {
        queue_wait_ms: Math.round(queueWaitMs),
        inference_ms: Math.round(inferenceMs),
        upload_ms: Math.round(uploadMs),
        total_ms: finishedAt.getTime() - Date.parse(submittedAt),
        batch_size: result.stats.batchJobs,
      };
      const adapters = {
        loras: result.adapters.loras.map((lora) => ({ name: lora.name, weight: lora.weight, applied: lora.applied, unmatched: lora.unmatched, unmatched_examples: [...lora.unmatchedExamples] })),
        embeddings: [...result.adapters.embeddings],
        merge_ms: Math.round(result.adapters.mergeMs),
      };
      const done = await lifecycle.succeed(ref, { outputs, timings, adapters, modelFamily: model.family }, finishedAt);
      if (done.applied) log.info({ timings }, 'generation succeeded');
      deadline.clear();
      return { outputs: outputs.length };
    } catch (caught) {
      const error =
        caught instanceof GenerationCanceledError && deadline.aborted
          ? new PermanentJobError(ErrorCode.DeadlineExceeded, `the job did not finish within JOB_DEADLINE_MS (${this.deps.config.env.JOB_DEADLINE_MS} ms of submission)`)
          : caught;
      deadline.clear();
      if (error instanceof GenerationCanceledError) {
        if (isWorkerShutdown(error.reason)) {
          // Handed back without spending an attempt: another worker picks it up from the start.
          await lifecycle.handBack(ref);
          await job.moveToWait(token);
          throw new WaitingError();
        }
        await this.cancel(ref, log);
        return { outputs: 0 };
      }
      const { error: failure, permanent } = classify(error);
      const final = permanent || attempt >= (job.opts.attempts ?? 1);
      log.warn({ err: error, attempt, final }, 'generation attempt failed');
      await lifecycle.attemptFailed(ref, failure, final, new Date());
      if (final) throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
      throw error;
    } finally {
      metrics.workerBusy.dec();
      await decodedSteps?.release();
    }
  }

  /** The inpainting mask SAM makes from `mask_prompt` on init_image's own pixels. */
  private async maskFromPrompt(prompt: NonNullable<GenerationRecord['request']['mask_prompt']>, initImage: string, params: GenerationParams, blur: number, tenant: string): Promise<PromptedMask> {
    const bytes = await fetchImageBytes(initImage, 'init_image', { policy: this.inputLimits.policy, maxBytes: this.inputLimits.image.maxBytes, resolve: this.inputLimits.resolve });
    return this.promptedMasks.make(prompt, bytes, { width: params.width, height: params.height, blur }, (kind, name) => this.deps.models.locateOnnx(kind, name, tenant));
  }

  /** A hires-fix job runs alone: both passes through the pipeline's hires module. */
  private async runHires(model: LoadedModel, params: GenerationParams, hires: NonNullable<GenerationRecord['request']['hires']>, tenant: string, hooks: GenerationHooks): Promise<GenerationResult> {
    const { fix, release } = await hiresFixFor(hires, (kind, name) => this.deps.models.locateOnnx(kind, name, tenant), hooks.signal);
    try {
      return await generateWithHiresFix(this.deps.pipeline, model, params, fix, hooks);
    } finally {
      await release();
    }
  }

  private async upload(key: string, bytes: Buffer, contentType: string, log: Logger): Promise<void> {
    await putWithRetry(this.deps.storage, key, bytes, contentType, this.deps.config.env.STORAGE_RETRY_MAX_MS, (attempt, error) => log.warn({ err: error, attempt, key }, 'upload failed; retrying'));
  }

  private async cancel(ref: GenerationRef, log: Logger): Promise<void> {
    const result = await this.deps.lifecycle.cancel(ref, [GenerationStatus.Queued, GenerationStatus.Running], new Date());
    if (result.applied) log.info('generation canceled');
  }
}
