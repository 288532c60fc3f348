import type * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../models/loaded-model.js';
import type { SessionLease, SessionPool } from '../runtime/session-pool.js';
import { resolveScheduler } from '../schedulers/index.js';
import type { Scheduler, SchedulerDefinition } from '../schedulers/scheduler.js';
import { extractLoraTags } from '../text/lora-tags.js';
import { padChunkCount, tokenizeWeightedPrompt } from '../text/prompt-chunks.js';
import { BatchedNoise } from './batched-noise.js';
import { GenerationCanceledError, UnsupportedRequestError } from './errors.js';
import { fromVaeOutput, maskToLatent, toVaeInput, type MaskImage, type RgbImage } from './images.js';
import { floatInput } from './tensors.js';
import { encodeChunks } from './text-encoder.js';
import { UnetRunner, type UnetConditioning } from './unet-runner.js';
import { vaeDecode, vaeEncode } from './vae.js';

export interface GenerationParams {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly steps: number;
  readonly guidanceScale: number;
  /** Any accepted sampler name; default: the model's own scheduler. */
  readonly scheduler?: string;
  readonly width: number;
  readonly height: number;
  /** One seed per image; image k is reproducible alone with seeds[k]. */
  readonly seeds: readonly number[];
  /** Explicit unit-variance initial latents for all images (NCHW), like diffusers' `latents`. */
  readonly latents?: Float32Array;
  readonly initImage?: RgbImage;
  readonly strength?: number;
  readonly maskImage?: MaskImage;
  readonly refiner?: { readonly model: LoadedModel; readonly highNoiseFraction: number };
}

export interface GenerationHooks {
  readonly signal?: AbortSignal;
  onStep?(step: number, total: number): void;
}

export interface GeneratedImage {
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  /** HWC float RGB in [0, 1] (what diffusers returns with output_type="np"). */
  readonly pixels: Float32Array;
}

export interface GenerationStats {
  readonly steps: number;
  /** Wall time of the denoising loop. */
  readonly loopMs: number;
  /** Time inside UNet session.run calls. */
  readonly unetMs: number;
  readonly encodeMs: number;
  readonly decodeMs: number;
}

export interface GenerationResult {
  readonly images: GeneratedImage[];
  readonly stats: GenerationStats;
  readonly scheduler: SchedulerDefinition;
}

interface Stage {
  readonly unet: UnetRunner;
  readonly conditioning: UnetConditioning;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new GenerationCanceledError(signal.reason);
}

/**
 * Stable Diffusion 1.x / 2.x text-to-image, image-to-image and latent-mask inpainting on any
 * diffusers ONNX export, step for step as diffusers' pipelines do, so the same inputs give the
 * same pixels.
 */
export class StableDiffusionPipeline {
  constructor(private readonly pool: SessionPool) {}

  async generate(model: LoadedModel, params: GenerationParams, hooks: GenerationHooks = {}): Promise<GenerationResult> {
    const leases: SessionLease[] = [];
    const acquire = async (file: string | undefined, what: string): Promise<ort.InferenceSession> => {
      if (!file) throw new UnsupportedRequestError('model', `${model.id} has no ${what}`);
      const lease = await this.pool.acquire(file);
      leases.push(lease);
      return lease.session;
    };
    try {
      return await this.run(model, params, hooks, acquire);
    } finally {
      for (const lease of leases) lease.release();
    }
  }

  private async run(
    model: LoadedModel,
    requested: GenerationParams,
    hooks: GenerationHooks,
    acquire: (file: string | undefined, what: string) => Promise<ort.InferenceSession>,
  ): Promise<GenerationResult> {
    const params = withoutLoraTags(requested);
    if (model.family === 'sdxl' || model.family === 'sdxl-refiner') {
      throw new UnsupportedRequestError('model', `${model.id} is an SDXL export; this worker runs SD 1.x and 2.x pipelines`);
    }
    const scale = model.folder.vaeScaleFactor;
    if (params.width % scale !== 0 || params.height % scale !== 0) {
      throw new UnsupportedRequestError('img_width', `width and height must be multiples of ${scale} for ${model.id}`);
    }
    const batch = params.seeds.length;
    const latentHeight = params.height / scale;
    const latentWidth = params.width / scale;
    const channels = 4;
    const imageSize = channels * latentHeight * latentWidth;
    const latentDims = [batch, channels, latentHeight, latentWidth] as const;
    const useGuidance = params.guidanceScale > 1;

    const started = performance.now();
    const base: Stage = await this.stage(model, params, batch, useGuidance, acquire);
    const definition = params.scheduler ? resolveScheduler(params.scheduler) : { definition: model.defaultScheduler, karras: false };
    const noise = new BatchedNoise(params.seeds);
    const initialNoise = params.latents ?? noise.randn(batch * imageSize);
    if (initialNoise.length !== batch * imageSize) {
      throw new UnsupportedRequestError('latents', `expected ${batch * imageSize} values (${latentDims.join('×')}), got ${initialNoise.length}`);
    }
    const scheduler: Scheduler = definition.definition.create(model.schedulerConfig, { steps: params.steps, noise, karras: definition.karras });

    let latents: Float32Array;
    let initLatents: Float32Array | undefined;
    if (params.initImage) {
      initLatents = await this.encodeInitImage(model, params.initImage, batch, params.width, params.height, acquire);
      const strength = params.strength ?? 0.8;
      const initSteps = Math.min(Math.floor(params.steps * strength), params.steps);
      const startStep = Math.max(params.steps - initSteps, 0);
      // diffusers' timesteps[t_start * order:], except that strength 0 means no step at all (PNDM's
      // repeated timestep would otherwise leave one final step that re-draws the picture).
      scheduler.setBeginIndex(initSteps === 0 ? scheduler.timesteps.length : Math.min(startStep * scheduler.order, scheduler.timesteps.length));
      latents =
        scheduler.beginIndex < scheduler.timesteps.length ? scheduler.addNoise(initLatents, initialNoise, scheduler.beginIndex) : Float32Array.from(initLatents);
    } else {
      latents = new Float32Array(initialNoise.length);
      const sigma = scheduler.initNoiseSigma;
      for (let i = 0; i < latents.length; i++) latents[i] = initialNoise[i] * sigma;
    }
    const latentMask = params.maskImage && initLatents ? maskToLatent(params.maskImage, latentWidth, latentHeight) : undefined;
    const encodeMs = performance.now() - started;

    const refinerStage = params.refiner ? await this.stage(params.refiner.model, params, batch, useGuidance, acquire) : undefined;
    const cutoff = params.refiner ? Math.round(model.schedulerConfig.num_train_timesteps * (1 - params.refiner.highNoiseFraction)) : -Infinity;

    const loopStart = performance.now();
    let unetMs = 0;
    const timesteps = scheduler.timesteps;
    const total = timesteps.length - scheduler.beginIndex;
    const modelBatch = useGuidance ? batch * 2 : batch;
    const modelInput = useGuidance ? new Float32Array(latents.length * 2) : undefined;
    const modelDims = [modelBatch, channels, latentHeight, latentWidth];
    const guided = useGuidance ? new Float32Array(latents.length) : undefined;
    for (let index = scheduler.beginIndex; index < timesteps.length; index++) {
      checkAbort(hooks.signal);
      const timestep = timesteps[index];
      const stage = refinerStage && timestep < cutoff ? refinerStage : base;
      const scaled = scheduler.scaleModelInput(latents, index);
      let input = scaled;
      if (modelInput) {
        modelInput.set(scaled, 0);
        modelInput.set(scaled, scaled.length);
        input = modelInput;
      }
      const runStart = performance.now();
      const prediction = await stage.unet.predict(input, modelDims, timestep, stage.conditioning);
      unetMs += performance.now() - runStart;
      let output = prediction;
      if (guided) {
        const g = params.guidanceScale;
        const half = latents.length;
        for (let i = 0; i < half; i++) {
          const uncond = prediction[i];
          guided[i] = uncond + g * (prediction[half + i] - uncond);
        }
        output = guided;
      }
      latents = scheduler.step(output, index, latents);
      if (latentMask && initLatents) latents = this.blendUnmasked(scheduler, latents, initLatents, initialNoise, latentMask, index, imageSize);
      hooks.onStep?.(index - scheduler.beginIndex + 1, total);
    }
    const loopMs = performance.now() - loopStart;
    checkAbort(hooks.signal);

    const decodeStart = performance.now();
    const images = await this.decode(model, latents, latentDims, params, acquire);
    return {
      images,
      scheduler: definition.definition,
      stats: { steps: total, loopMs, unetMs, encodeMs, decodeMs: performance.now() - decodeStart },
    };
  }

  /** Text conditioning and UNet of one model (the base, or the refiner). */
  private async stage(
    model: LoadedModel,
    params: GenerationParams,
    batch: number,
    useGuidance: boolean,
    acquire: (file: string | undefined, what: string) => Promise<ort.InferenceSession>,
  ): Promise<Stage> {
    const textEncoder = await acquire(model.folder.components.textEncoder, 'text_encoder');
    const positive = tokenizeWeightedPrompt(model.tokenizer, params.prompt).chunks;
    const negative = tokenizeWeightedPrompt(model.tokenizer, params.negativePrompt).chunks;
    const count = Math.max(positive.length, negative.length);
    const cond = await encodeChunks(textEncoder, padChunkCount(positive, count, model.tokenizer));
    const parts = useGuidance ? [await encodeChunks(textEncoder, padChunkCount(negative, count, model.tokenizer)), cond] : [cond];
    const perImage = cond.sequence * cond.channels;
    const hidden = new Float32Array(parts.length * batch * perImage);
    parts.forEach((part, partIndex) => {
      for (let b = 0; b < batch; b++) hidden.set(part.hidden, (partIndex * batch + b) * perImage);
    });
    const unetSession = await acquire(model.folder.components.unet, 'unet');
    const unet = new UnetRunner(unetSession);
    if (unet.inChannels !== 4) throw new UnsupportedRequestError('model', `${model.id}: UNets with ${unet.inChannels} input channels are not supported by this pipeline`);
    const conditioning: UnetConditioning = {
      encoderHiddenStates: floatInput(unetSession, 'encoder_hidden_states', hidden, [parts.length * batch, cond.sequence, cond.channels]),
      extra: {},
    };
    return { unet, conditioning };
  }

  private async encodeInitImage(
    model: LoadedModel,
    image: RgbImage,
    batch: number,
    width: number,
    height: number,
    acquire: (file: string | undefined, what: string) => Promise<ort.InferenceSession>,
  ): Promise<Float32Array> {
    if (image.width !== width || image.height !== height) {
      throw new UnsupportedRequestError('init_image', `is ${image.width}×${image.height}, expected ${width}×${height}`);
    }
    const encoder = await acquire(model.folder.components.vaeEncoder, 'vae_encoder (needed for img2img)');
    const encoded = await vaeEncode(encoder, toVaeInput(image), [1, 3, height, width]);
    const one = encoded.data.map((value) => value * model.folder.vaeScalingFactor);
    const all = new Float32Array(one.length * batch);
    for (let b = 0; b < batch; b++) all.set(one, b * one.length);
    return all;
  }

  /** diffusers' latent-mask inpainting: keep the known area on the noise level of the next step. */
  private blendUnmasked(
    scheduler: Scheduler,
    latents: Float32Array,
    initLatents: Float32Array,
    noise: Float32Array,
    mask: Float32Array,
    index: number,
    imageSize: number,
  ): Float32Array {
    const next = index + 1;
    const known = next < scheduler.timesteps.length ? scheduler.addNoise(initLatents, noise, next) : initLatents;
    const plane = mask.length;
    const out = new Float32Array(latents.length);
    for (let i = 0; i < latents.length; i++) {
      const m = mask[(i % imageSize) % plane];
      out[i] = (1 - m) * known[i] + m * latents[i];
    }
    return out;
  }

  private async decode(
    model: LoadedModel,
    latents: Float32Array,
    dims: readonly number[],
    params: GenerationParams,
    acquire: (file: string | undefined, what: string) => Promise<ort.InferenceSession>,
  ): Promise<GeneratedImage[]> {
    const decoder = await acquire(model.folder.components.vaeDecoder, 'vae_decoder');
    const scaled = latents.map((value) => value / model.folder.vaeScalingFactor);
    const images: GeneratedImage[] = [];
    const perImage = latents.length / params.seeds.length;
    for (const [index, seed] of params.seeds.entries()) {
      const decoded = await vaeDecode(decoder, scaled.subarray(index * perImage, (index + 1) * perImage), [1, dims[1], dims[2], dims[3]]);
      const [, , height, width] = decoded.dims;
      let pixels = fromVaeOutput(decoded.data, 0, width, height);
      if (params.maskImage && params.initImage) pixels = composite(params.initImage, pixels, params.maskImage);
      images.push({ seed, width, height, pixels });
    }
    return images;
  }
}

/**
 * `<lora:name:weight>` tags are taken out of the prompts before tokenizing; no adapter can be
 * applied by this pipeline yet, so a request naming one is refused rather than silently ignored.
 */
function withoutLoraTags(params: GenerationParams): GenerationParams {
  const prompt = extractLoraTags(params.prompt);
  const negative = extractLoraTags(params.negativePrompt);
  const named = [...prompt.loras, ...negative.loras];
  if (named.length > 0) throw new UnsupportedRequestError('prompt', `LoRA "${named[0].name}" is not available`);
  return { ...params, prompt: prompt.prompt, negativePrompt: negative.prompt };
}

/** Unmasked pixels come back exactly as they went in (the VAE round trip never touches them). */
function composite(original: RgbImage, generated: Float32Array, mask: MaskImage): Float32Array {
  const out = new Float32Array(generated.length);
  for (let i = 0; i < mask.data.length; i++) {
    const m = mask.data[i];
    for (let c = 0; c < 3; c++) out[i * 3 + c] = m * generated[i * 3 + c] + (1 - m) * original.data[i * 3 + c];
  }
  return out;
}
