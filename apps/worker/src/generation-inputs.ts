import type { ResolvedGeneration } from '@atelier/contracts';
import { type AdapterLibrary, blurMask, decodeMask, decodeRgb, extendCanvas, type GenerationParams, type LoadedModel, type MaskImage, type RgbImage } from '@atelier/diffusion';
import type { SourceImageLimits } from '@atelier/config';
import type { OutboundPolicy, Resolver } from '@atelier/outbound';
import { fetchImageBytes } from './image-source.js';

/** The limits the API also checks at submission, and the rules for fetching URL sources. */
export interface InputLimits {
  readonly image: SourceImageLimits;
  readonly policy: OutboundPolicy;
  readonly resolve?: Resolver;
}

/**
 * From a resolved request to pipeline parameters: seeds expanded, source images fetched and
 * decoded at the generation size, outpainting turned into an inpainting canvas. The prompt text,
 * LoRA list and size come resolved from the API (ResolvedGeneration); nothing is derived again.
 */
export async function buildGenerationParams(
  request: ResolvedGeneration,
  refiner: LoadedModel | undefined,
  limits: InputLimits,
  adapterLibrary: AdapterLibrary,
): Promise<GenerationParams> {
  let width = request.width;
  let height = request.height;
  let initImage: RgbImage | undefined;
  let maskImage: MaskImage | undefined;
  const download = { policy: limits.policy, maxBytes: limits.image.maxBytes, resolve: limits.resolve };
  if (request.init_image) {
    const bytes = await fetchImageBytes(request.init_image, 'init_image', download);
    initImage = await decodeRgb(bytes, width, height, 'init_image', limits.image.maxPixels);
  }
  if (request.mask_image) {
    const bytes = await fetchImageBytes(request.mask_image, 'mask_image', download);
    maskImage = await decodeMask(bytes, width, height, 'mask_image', limits.image.maxPixels);
  }
  if (initImage && request.outpaint) {
    const canvas = extendCanvas(initImage, request.outpaint);
    initImage = canvas.image;
    maskImage = canvas.mask;
    width = canvas.image.width;
    height = canvas.image.height;
  }
  if (maskImage && request.mask_blur > 0) maskImage = blurMask(maskImage, request.mask_blur);
  return {
    prompt: request.conditioning.prompt,
    negativePrompt: request.conditioning.negative_prompt,
    steps: request.num_inference_steps,
    guidanceScale: request.guidance_scale,
    scheduler: request.scheduler,
    width,
    height,
    seeds: Array.from({ length: request.samples }, (_, index) => (request.seed + index) % 2 ** 32),
    strength: request.strength,
    initImage,
    maskImage,
    refiner: refiner ? { model: refiner, highNoiseFraction: request.high_noise_fraction } : undefined,
    loras: request.loras,
    adapterLibrary,
  };
}
