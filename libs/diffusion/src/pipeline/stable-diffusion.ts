import type * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../models/loaded-model.js';
import type { SessionLease, SessionPool } from '../runtime/session-pool.js';
import { resolveScheduler, samplerName } from '../schedulers/index.js';
import type { Scheduler, SchedulerDefinition } from '../schedulers/scheduler.js';
import type { AdapterLibrary } from '../adapters/adapter-library.js';
import { TokenInjectingTokenizer } from '../adapters/token-injecting-tokenizer.js';
export type { BatchRequest } from './batch-members.js';
import { AdaptedComponents, type AdaptableComponent, type AdaptedSession, type RequestAdapters, type ResolvedLora } from './adapted-components.js';
import { BatchedNoise } from './batched-noise.js';
import type { PrefetchStats } from '../random/prefetched-noise.js';
import { UnsupportedRequestError } from './errors.js';
import { fromVaeOutput, maskToLatent, maskToLatentNearest, toVaeInput, type MaskImage, type RgbImage } from './images.js';
import { guidanceScaleEmbedding } from './conditioning/guidance-embedding.js';
import { sdConditioning } from './conditioning/sd-conditioning.js';
import { sdxlConditioning } from './conditioning/sdxl-conditioning.js';
import { stackConditioning } from './conditioning/stack-conditioning.js';
import { checkBatchable, chunkCountGroups, dropCanceled, settleable, type BatchRequest, type Member } from './batch-members.js';
import type { AcquireSession, UnetConditioning } from './conditioning/types.js';
import { floatInput, inputMetadata } from './tensors.js';
import { UnetRunner } from './unet-runner.js';
import { DenoisingBuffers } from './denoising-buffers.js';
import { vaeDecode, vaeEncode } from './vae.js';
import { embedsConditioning, type PromptEmbeds } from './conditioning/embeds-conditioning.js';
import { extendConditioning, stepInputs, type ConditioningSource, type DenoisingStep } from './conditioning/conditioning-source.js';
import { controlNetSource, type ControlNetParams } from '../controlnet/controlnet-request.js';
import { ControlNetError } from '../controlnet/errors.js';
import type { ConditioningProvider, UnetChoice } from './conditioning/conditioning-provider.js';

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
  /**
   * img2img from latents instead of an image (diffusers accepts 4-channel latents as `image`):
   * VAE-scaled, one per image (NCHW at width/8 × height/8); takes precedence over `initImage`.
   */
  readonly initLatents?: Float32Array;
  readonly strength?: number;
  readonly maskImage?: MaskImage;
  /** Return each image's final latents (VAE-scaled) with its pixels (diffusers' output_type="latent"). */
  readonly keepLatents?: boolean;
  readonly refiner?: { readonly model: LoadedModel; readonly highNoiseFraction: number };
  /**
   * LoRAs by name, resolved in `adapterLibrary`. The prompts are encoded as given: `<lora:…>` tags
   * are taken out by the caller (the API's resolver, resolvePromptText in libs/contracts).
   */
  readonly loras?: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
  /** Where LoRA and embedding names are looked up; embeddings apply when their name is in a prompt. */
  readonly adapterLibrary?: AdapterLibrary;
  /**
   * ControlNets (several = Multi-ControlNet: residuals summed, each with its own scale and
   * window). The model must have a residual-accepting UNet (`controlnet/` or `cnet/`).
   */
  readonly controlnets?: readonly ControlNetParams[];
  /** diffusers' guess_mode: the ControlNets see only the conditional half, their residuals ramp up. */
  readonly guessMode?: boolean;
  /**
   * Further conditioning of the base model (image prompts: `ipAdapterConditioning(...)`), in
   * order; each may pick another UNet export of the model and plugs a source into the loop.
   */
  readonly conditioning?: readonly ConditioningProvider[];
  /**
   * img2img/inpainting: unit noise for sampling the init image's latent (diffusers'
   * `latent_dist.sample()`), one latent's worth; default: the latent mean (deterministic).
   */
  readonly initLatentNoise?: Float32Array;
  /** Prompt embeddings instead of prompts (diffusers' `prompt_embeds`...); the text encoders are not run. */
  readonly promptEmbeds?: PromptEmbeds;
}

export interface AppliedAdapters {
  readonly loras: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly applied: number; readonly unmatched: number; readonly unmatchedExamples: readonly string[] }>;
  readonly embeddings: readonly string[];
  readonly mergeMs: number;
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
  /** The final latents (VAE-scaled, [1,4,h/8,w/8]) when `keepLatents` was asked. */
  readonly latents?: Float32Array;
}

export interface GenerationStats {
  readonly steps: number;
  /** Wall time of the denoising loop. */
  readonly loopMs: number;
  /** Time inside UNet session.run calls. */
  readonly unetMs: number;
  /** Time inside conditioning sources' own model calls (ControlNets), part of the loop. */
  readonly conditioningMs: number;
  readonly encodeMs: number;
  readonly decodeMs: number;
  /** Requests that shared the UNet batch (1 unless `generateTogether` merged several). */
  readonly batchJobs: number;
  /** Noise drawn ahead on the noise thread (samplers that draw noise per step; zeros otherwise). */
  readonly noiseAhead: PrefetchStats;
}

export interface GenerationResult {
  readonly images: GeneratedImage[];
  readonly stats: GenerationStats;
  readonly scheduler: SchedulerDefinition;
  /** The full A1111 sampler name, "… Karras" when Karras σ were used: what the infotext says. */
  readonly sampler: string;
  readonly adapters: AppliedAdapters;
}

interface Stage {
  readonly unet: UnetRunner;
  /** What the UNet gets: the text conditioning as every source's `extend` left it. */
  readonly conditioning: UnetConditioning;
  /** The text conditioning alone, what per-step sources see (ControlNets attend to the prompt only, as in diffusers). */
  readonly text: UnetConditioning;
  readonly useGuidance: boolean;
  /** What steers the UNet besides the text, step by step (ControlNets). */
  readonly sources: readonly ConditioningSource[];
}

const INPAINT_UNET_CHANNELS = 9;

/**
 * Stable Diffusion 1.x / 2.x text-to-image, image-to-image and latent-mask inpainting on any
 * diffusers ONNX export, step for step as diffusers' pipelines do, so the same inputs give the
 * same pixels.
 */
export class StableDiffusionPipeline {
  constructor(private readonly pool: SessionPool) {
    this.adapted = new AdaptedComponents(pool);
  }

  private readonly adapted: AdaptedComponents;

  async generate(model: LoadedModel, params: GenerationParams, hooks: GenerationHooks = {}): Promise<GenerationResult> {
    const [result] = this.generateTogether(model, [{ params, hooks }]);
    return result;
  }

  /**
   * Several text-to-image requests as one UNet batch: each prompt encoded on its own, one
   * stacked UNet call per step (guidance doubles it), one noise generator per image, so every
   * image is bit-identical to its request run alone. Requests must agree on steps, guidance,
   * scheduler, size and LoRAs (else all are refused); those whose prompts encode to a different
   * number of 77-token chunks run as a separate batch. Each promise settles on its own: a
   * canceled request rejects at the next step while the others go on.
   */
  generateTogether(model: LoadedModel, requests: readonly BatchRequest[]): Array<Promise<GenerationResult>> {
    const pending = requests.map((request) => ({ request, ...settleable<GenerationResult>() }));
    void this.runTogether(model, pending);
    return pending.map((entry) => entry.promise);
  }

  private async runTogether(
    model: LoadedModel,
    pending: ReadonlyArray<{ request: BatchRequest; settle: Member['settle']; isSettled: () => boolean }>,
  ): Promise<void> {
    const leases: SessionLease[] = [];
    const acquire = async (file: string | undefined, what: string): Promise<ort.InferenceSession> => {
      if (!file) throw new UnsupportedRequestError('model', `${model.id} has no ${what}`);
      const lease = await this.pool.acquire(file);
      leases.push(lease);
      return lease.session;
    };
    try {
      const members: Member[] = [];
      for (const entry of pending) {
        try {
          const { params, adapters } = await resolveAdapters(entry.request.params);
          members.push({
            params,
            adapters,
            hooks: entry.request.hooks ?? {},
            reports: new Map(),
            settle: entry.settle,
            get settled() {
              return entry.isSettled();
            },
          });
        } catch (error) {
          entry.settle(undefined, error);
        }
      }
      const groups = members.length > 1 ? await chunkCountGroups(this.adapted, model, members, leases) : [members];
      for (const group of groups) {
        try {
          if (group.length > 1) checkBatchable(group);
          const results = await this.run(model, group, acquire, leases);
          group.forEach((member, index) => member.settle(results[index]));
        } catch (error) {
          for (const member of group) member.settle(undefined, error);
        }
      }
    } catch (error) {
      for (const entry of pending) entry.settle(undefined, error);
    } finally {
      for (const lease of leases) lease.release();
    }
  }

  private async run(model: LoadedModel, members: readonly Member[], acquire: AcquireSession, leases: SessionLease[]): Promise<GenerationResult[]> {
    const params: GenerationParams = members.length === 1 ? members[0].params : { ...members[0].params, seeds: members.flatMap((member) => member.params.seeds) };
    const mergeStart = this.adapted.mergeMs;
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
    const started = performance.now();
    const base: Stage = await this.stage(model, members, leases, acquire, 'base');
    const useGuidance = base.useGuidance;
    const definition = params.scheduler ? resolveScheduler(params.scheduler) : { definition: model.defaultScheduler, karras: false };
    // Samplers that draw noise every step get it drawn ahead while the UNet runs (the same values).
    const noise = new BatchedNoise(params.seeds, { prefetch: !definition.definition.deterministic });
    try {
      const initialNoise = params.latents ?? noise.randn(batch * imageSize);
      if (initialNoise.length !== batch * imageSize) {
        throw new UnsupportedRequestError('latents', `expected ${batch * imageSize} values (${latentDims.join('×')}), got ${initialNoise.length}`);
      }
      const scheduler: Scheduler = definition.definition.create(model.schedulerConfig, { steps: params.steps, noise, karras: definition.karras });

      let latents: Float32Array;
      let initLatents: Float32Array | undefined;
      if (params.initLatents || params.initImage) {
        if (params.initLatents && params.initLatents.length !== batch * imageSize) {
          throw new UnsupportedRequestError('init_latents', `expected ${batch * imageSize} values (${latentDims.join('×')}), got ${params.initLatents.length}`);
        }
        initLatents = params.initLatents ?? (await this.encodeInitImage(model, params.initImage as RgbImage, batch, params.width, params.height, acquire, params.initLatentNoise));
        const strength = params.strength ?? 0.8;
        const initSteps = Math.min(Math.floor(params.steps * strength), params.steps);
        const startStep = Math.max(params.steps - initSteps, 0);
        // diffusers' timesteps[t_start * order:], except that strength 0 means no step at all (PNDM's
        // repeated timestep would otherwise leave one final step that re-draws the picture).
        scheduler.setBeginIndex(initSteps === 0 ? scheduler.timesteps.length : Math.min(startStep * scheduler.order, scheduler.timesteps.length));
        if (params.maskImage && strength >= 1) {
          // diffusers' inpainting starts from pure noise at full strength, so nothing of the masked area leaks through.
          latents = initialNoise.map((value) => value * scheduler.initNoiseSigma);
        } else {
          latents =
            scheduler.beginIndex < scheduler.timesteps.length ? scheduler.addNoise(initLatents, initialNoise, scheduler.beginIndex) : Float32Array.from(initLatents);
        }
      } else {
        latents = new Float32Array(initialNoise.length);
        const sigma = scheduler.initNoiseSigma;
        for (let i = 0; i < latents.length; i++) latents[i] = initialNoise[i] * sigma;
      }
      const inpaintChannels = base.unet.inChannels === INPAINT_UNET_CHANNELS ? await this.inpaintChannels(model, params, batch, latentWidth, latentHeight, useGuidance, acquire) : undefined;
      // Ordinary UNets inpaint by blending the known area back after every step.
      // ControlNet inpainting follows diffusers' ControlNet inpaint pipeline exactly (binarised, nearest); plain inpainting keeps its area average.
      const toLatentMask = params.controlnets?.length ? maskToLatentNearest : maskToLatent;
      const latentMask = params.maskImage && initLatents && !inpaintChannels ? toLatentMask(params.maskImage, latentWidth, latentHeight) : undefined;
      const encodeMs = performance.now() - started;

      const refinerStage = params.refiner ? await this.stage(params.refiner.model, members, leases, acquire, 'refiner') : undefined;
      if (refinerStage && refinerStage.useGuidance !== useGuidance) throw new UnsupportedRequestError('refiner', 'base and refiner must both use (or both skip) classifier-free guidance');
      const cutoff = params.refiner ? Math.round(model.schedulerConfig.num_train_timesteps * (1 - params.refiner.highNoiseFraction)) : -Infinity;

      const loopStart = performance.now();
      const timesteps = scheduler.timesteps;
      const total = timesteps.length - scheduler.beginIndex;
      const loop = new DenoisingBuffers({ latentSize: latents.length, batch, channels, height: latentHeight, width: latentWidth, useGuidance, inpaintChannels });
      // The loop owns one latent buffer, updated in place by every step.
      loop.latents.set(latents);
      latents = loop.latents;
      const blend = latentMask && initLatents ? { mask: latentMask, initLatents, noise: initialNoise } : undefined;
      const latentInputDims = [loop.latentInput.length / imageSize, channels, latentHeight, latentWidth];
      for (let index = scheduler.beginIndex; index < timesteps.length; index++) {
        dropCanceled(members);
        const timestep = timesteps[index];
        const stage = refinerStage && timestep < cutoff ? refinerStage : base;
        scheduler.scaleModelInputInto(latents, index, loop.scaled);
        const input = loop.modelInput();
        const step: DenoisingStep = { index: index - scheduler.beginIndex, total, timestep, scaled: loop.scaled, latentInput: loop.latentInput, latentDims: latentInputDims };
        const extraInputs = stage.sources.length > 0 ? await stepInputs(stage.sources, step, stage.text) : undefined;
        const prediction = await stage.unet.predict(input, loop.dims, timestep, stage.conditioning, extraInputs);
        const output = loop.guide(prediction, params.guidanceScale);
        scheduler.stepInto(output, index, latents, latents);
        if (blend) loop.blendUnmasked(scheduler, blend.initLatents, blend.noise, blend.mask, index);
        for (const member of members) if (!member.settled) member.hooks.onStep?.(index - scheduler.beginIndex + 1, total);
      }
      const unetMs = base.unet.runMs + (refinerStage?.unet.runMs ?? 0);
      const conditioningMs = base.sources.reduce((sum, source) => sum + (source.runMs ?? 0), 0);
      const loopMs = performance.now() - loopStart;
      const noiseAhead = noise.prefetchStats();
      // No step draws any more; a chunk asked for ahead and not yet started is dropped.
      noise.close();
      dropCanceled(members);

      const decodeStart = performance.now();
      const offsets = members.map((_, index) => members.slice(0, index).reduce((sum, member) => sum + member.params.seeds.length, 0));
      const wanted = new Set(members.flatMap((member, index) => (member.settled ? [] : member.params.seeds.map((_, k) => offsets[index] + k))));
      const images = await this.decode(model, latents, latentDims, params, acquire, wanted);
      const decodeMs = performance.now() - decodeStart;
      return members.map((member, index) => ({
        images: images.slice(offsets[index], offsets[index] + member.params.seeds.length).filter((image): image is GeneratedImage => image !== undefined),
        adapters: {
          loras: member.adapters.loras.map((lora) => {
            const report = member.reports.get(lora.file.name) ?? { applied: 0, unmatched: 0, examples: [] };
            return { name: lora.file.name, weight: lora.weight, applied: report.applied, unmatched: report.unmatched, unmatchedExamples: report.examples.slice(0, 5) };
          }),
          embeddings: member.adapters.embeddings.map((embedding) => embedding.name),
          mergeMs: this.adapted.mergeMs - mergeStart,
        },
        scheduler: definition.definition,
        sampler: samplerName(definition, model.schedulerConfig),
        stats: { steps: total, loopMs, unetMs, conditioningMs, encodeMs, decodeMs, batchJobs: members.length, noiseAhead },
      }));
    } finally {
      noise.close();
    }
  }

  /**
   * Text conditioning and UNet of one model (the base, or the refiner): each request's prompts
   * encoded with its own adapters, stacked into one batch; the UNet with the LoRAs the requests
   * share.
   */
  private async stage(model: LoadedModel, members: readonly Member[], leases: SessionLease[], acquire: AcquireSession, role: 'base' | 'refiner'): Promise<Stage> {
    const components = model.folder.components;
    const params = members[0].params;
    // ControlNets steer the base model only (as in diffusers' SDXL ControlNet + refiner); they need the residual UNet.
    const controlnets = role === 'base' ? (params.controlnets ?? []) : [];
    const providers = role === 'base' ? (params.conditioning ?? []) : [];
    const residuals = controlnets.length > 0;
    if (residuals && !components.controlnetUnet) throw new ControlNetError('controlnet_unet_missing', 'controlnets', `${model.id} has no residual-accepting UNet (controlnet/model.onnx or cnet/model.onnx)`);
    let choice: UnetChoice = { file: residuals ? components.controlnetUnet : components.unet, residuals };
    for (const provider of providers) if (provider.chooseUnet) choice = provider.chooseUnet(model, choice);
    const unetFile = choice.file;
    const take = async (file: string | undefined, component: AdaptableComponent, adapters: RequestAdapters, reported: readonly Member[]): Promise<AdaptedSession | undefined> => {
      if (!file) return undefined;
      const adapted = await this.adapted.acquire(file, component, adapters, leases);
      if (adapted.report) {
        // kohya/PEFT keys name their component; each component's merge reports its own share.
        for (const member of reported) {
          for (const lora of adapters.loras) {
            const entry = member.reports.get(lora.file.name) ?? { applied: 0, unmatched: 0, examples: [] };
            entry.applied += adapted.report.applied;
            entry.unmatched += adapted.report.unmatchedCount;
            entry.examples.push(...adapted.report.unmatched.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))));
            member.reports.set(lora.file.name, entry);
          }
        }
      }
      return adapted;
    };
    const encoders: Array<{ textEncoder?: AdaptedSession; textEncoder2?: AdaptedSession }> = [];
    for (const member of members) {
      if (member.params.promptEmbeds) {
        encoders.push({});
        continue;
      }
      encoders.push({
        textEncoder: await take(components.textEncoder, 'text_encoder', member.adapters, [member]),
        textEncoder2: await take(components.textEncoder2, 'text_encoder_2', member.adapters, [member]),
      });
    }
    const unetAdapted = await take(unetFile, 'unet', members[0].adapters, members);
    if (!unetAdapted) throw new UnsupportedRequestError('model', `${model.id} has no unet`);
    const unetSession = unetAdapted.session;
    const unet = new UnetRunner(unetSession);
    if (unet.inChannels !== 4 && unet.inChannels !== INPAINT_UNET_CHANNELS) {
      throw new UnsupportedRequestError('model', `${model.id}: UNets with ${unet.inChannels} input channels are not supported`);
    }
    // LCM UNets take guidance as an embedding and run without the unconditional pass.
    const guidanceEmbedding = inputMetadata(unetSession, 'timestep_cond');
    const useGuidance = !guidanceEmbedding && params.guidanceScale > 1;
    const tokenMap = (adapted: AdaptedSession | undefined): Map<string, readonly number[]> => new Map((adapted?.tokens ?? []).map((token) => [token.name, token.ids]));
    const parts: UnetConditioning[] = [];
    for (const [index, member] of members.entries()) {
      const { textEncoder, textEncoder2 } = encoders[index];
      const request = {
        model,
        unet: unetSession,
        textEncoder: textEncoder?.session,
        textEncoder2: textEncoder2?.session,
        tokenizer: new TokenInjectingTokenizer(model.tokenizer, tokenMap(textEncoder)),
        tokenizer2: model.tokenizer2 ? new TokenInjectingTokenizer(model.tokenizer2, tokenMap(textEncoder2)) : undefined,
        prompt: member.params.prompt,
        negativePrompt: member.params.negativePrompt,
        batch: member.params.seeds.length,
        useGuidance,
        width: params.width,
        height: params.height,
        guidanceScale: params.guidanceScale,
      };
      const embeds = member.params.promptEmbeds;
      if (embeds) parts.push(embedsConditioning(request, embeds));
      else parts.push(model.family === 'sdxl' || model.family === 'sdxl-refiner' ? await sdxlConditioning(request) : await sdConditioning(request));
    }
    const batch = members.reduce((sum, member) => sum + member.params.seeds.length, 0);
    const sources: ConditioningSource[] = [];
    if (controlnets.length > 0) {
      sources.push(
        await controlNetSource({ controlnets, guessMode: params.guessMode ?? false, model, unet: unetSession, width: params.width, height: params.height, batch, useGuidance, acquire }),
      );
    }
    for (const provider of providers) {
      const source = await provider.open({ model, unet: unetSession, width: params.width, height: params.height, batch, useGuidance, acquire });
      if (source) sources.push(source);
    }
    let text = stackConditioning(parts, useGuidance);
    if (guidanceEmbedding) {
      const dim = typeof guidanceEmbedding.shape[1] === 'number' ? guidanceEmbedding.shape[1] : 256;
      const embedding = guidanceScaleEmbedding(params.guidanceScale, dim);
      const rows = new Float32Array(batch * dim);
      for (let b = 0; b < batch; b++) rows.set(embedding, b * dim);
      text = { ...text, extra: { ...text.extra, timestep_cond: floatInput(unetSession, 'timestep_cond', rows, [batch, dim]) } };
    }
    const conditioning = await extendConditioning(sources, text);
    return { unet, conditioning, text, useGuidance, sources };
  }

  /**
   * The 5 extra channels of an inpainting UNet (mask, masked-image latents), per model-batch row,
   * as diffusers prepares them: mask binarised at 0.5 and resized nearest to latent size, the
   * image with the masked area zeroed (mid-gray) encoded by the VAE. Text-to-image on such a model
   * repaints everything.
   */
  private async inpaintChannels(
    model: LoadedModel,
    params: GenerationParams,
    batch: number,
    latentWidth: number,
    latentHeight: number,
    useGuidance: boolean,
    acquire: AcquireSession,
  ): Promise<Float32Array> {
    const plane = latentWidth * latentHeight;
    const pixels = params.width * params.height;
    const keep = new Float32Array(pixels).fill(0);
    if (params.maskImage) for (let i = 0; i < pixels; i++) keep[i] = params.maskImage.data[i] < 0.5 ? 1 : 0;
    const masked = new Float32Array(3 * pixels);
    if (params.initImage) {
      const vaeInput = toVaeInput(params.initImage);
      for (let c = 0; c < 3; c++) for (let i = 0; i < pixels; i++) masked[c * pixels + i] = vaeInput[c * pixels + i] * keep[i];
    }
    const encoder = await acquire(model.folder.components.vaeEncoder, 'vae_encoder (needed by inpainting UNets)');
    const encoded = await vaeEncode(encoder, masked, [1, 3, params.height, params.width]);
    const maskedLatents = encoded.data.map((value) => value * model.folder.vaeScalingFactor);
    const mask = new Float32Array(plane);
    for (let y = 0; y < latentHeight; y++) {
      for (let x = 0; x < latentWidth; x++) {
        const sourceY = Math.floor((y * params.height) / latentHeight);
        const sourceX = Math.floor((x * params.width) / latentWidth);
        mask[y * latentWidth + x] = 1 - keep[sourceY * params.width + sourceX];
      }
    }
    const perRow = new Float32Array(5 * plane);
    perRow.set(mask, 0);
    perRow.set(maskedLatents, plane);
    const rows = (useGuidance ? 2 : 1) * batch;
    const out = new Float32Array(rows * perRow.length);
    for (let row = 0; row < rows; row++) out.set(perRow, row * perRow.length);
    return out;
  }

  private async encodeInitImage(
    model: LoadedModel,
    image: RgbImage,
    batch: number,
    width: number,
    height: number,
    acquire: AcquireSession,
    noise?: Float32Array,
  ): Promise<Float32Array> {
    if (image.width !== width || image.height !== height) {
      throw new UnsupportedRequestError('init_image', `is ${image.width}×${image.height}, expected ${width}×${height}`);
    }
    const encoder = await acquire(model.folder.components.vaeEncoder, 'vae_encoder (needed for img2img)');
    if (noise && noise.length !== (4 * width * height) / model.folder.vaeScaleFactor ** 2) throw new UnsupportedRequestError('init_latent_noise', 'must hold one latent (4 × height/8 × width/8 values)');
    const encoded = await vaeEncode(encoder, toVaeInput(image), [1, 3, height, width], noise);
    const one = encoded.data.map((value) => value * model.folder.vaeScalingFactor);
    const all = new Float32Array(one.length * batch);
    for (let b = 0; b < batch; b++) all.set(one, b * one.length);
    return all;
  }

  private async decode(
    model: LoadedModel,
    latents: Float32Array,
    dims: readonly number[],
    params: GenerationParams,
    acquire: AcquireSession,
    wanted: ReadonlySet<number>,
  ): Promise<Array<GeneratedImage | undefined>> {
    const decoder = await acquire(model.folder.components.vaeDecoder, 'vae_decoder');
    const scaled = latents.map((value) => value / model.folder.vaeScalingFactor);
    const images: Array<GeneratedImage | undefined> = [];
    const perImage = latents.length / params.seeds.length;
    for (const [index, seed] of params.seeds.entries()) {
      // Images of requests canceled during the loop are never decoded.
      if (!wanted.has(index)) {
        images.push(undefined);
        continue;
      }
      const decoded = await vaeDecode(decoder, scaled.subarray(index * perImage, (index + 1) * perImage), [1, dims[1], dims[2], dims[3]]);
      const [, , height, width] = decoded.dims;
      let pixels = fromVaeOutput(decoded.data, 0, width, height);
      if (params.maskImage && params.initImage) pixels = composite(params.initImage, pixels, params.maskImage);
      const kept = params.keepLatents ? { latents: Float32Array.from(latents.subarray(index * perImage, (index + 1) * perImage)) } : {};
      images.push({ seed, width, height, pixels, ...kept });
    }
    return images;
  }
}

/**
 * Every requested LoRA must exist in the adapter library (an unknown LoRA is refused, never
 * ignored). Embeddings apply when their name appears as a word in either prompt.
 */
async function resolveAdapters(params: GenerationParams): Promise<{ params: GenerationParams; adapters: RequestAdapters }> {
  const requested = new Map<string, number>();
  for (const lora of params.loras ?? []) requested.set(lora.name, lora.weight);
  const library = params.adapterLibrary;
  if (!library) {
    if (requested.size > 0) throw new UnsupportedRequestError('loras', `LoRA "${[...requested.keys()][0]}" is not available (no adapter library)`);
    return { params, adapters: { loras: [], embeddings: [] } };
  }
  const loras: ResolvedLora[] = [];
  for (const [name, weight] of requested) {
    const file = await library.lora(name);
    if (!file) throw new UnsupportedRequestError('loras', `LoRA "${name}" is not available`);
    if (weight !== 0) loras.push({ file, weight });
  }
  const text = `${params.prompt}\n${params.negativePrompt}`;
  const embeddings = (await library.embeddings()).filter((embedding) => new RegExp(`(?<![\\p{L}\\p{N}_])${embedding.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'u').test(text));
  return { params, adapters: { loras, embeddings } };
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
