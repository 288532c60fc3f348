import type { ResolvedGeneration } from '#libs/contracts/src/index.js';
import { extractLoraTags } from '#libs/diffusion/src/text/lora-tags.js';

/**
 * Jobs with equal keys can share one UNet batch: same model, size, scheduler, steps, guidance and
 * LoRA set (request `loras` and `<lora:…>` prompt tags, resolved as the pipeline does: a later
 * mention wins, weight 0 means none). Prompts, negative prompts, style, seeds, samples and output
 * options may differ. `undefined`: the job always runs alone (image-to-image, inpainting,
 * outpainting, refiner, or more samples than a batch holds).
 */
export function batchKey(request: ResolvedGeneration, maxImages: number): string | undefined {
  if (request.init_image || request.mask_image || request.outpaint || request.refiner) return undefined;
  if (request.samples >= maxImages) return undefined;
  const loras = new Map<string, number>();
  for (const lora of [...request.loras, ...extractLoraTags(request.prompt).loras, ...extractLoraTags(request.negative_prompt).loras]) loras.set(lora.name, lora.weight);
  const loraSet = [...loras]
    .filter(([, weight]) => weight !== 0)
    .map(([name, weight]) => `${name}:${weight}`)
    .sort();
  return JSON.stringify([request.model, request.width ?? null, request.height ?? null, request.scheduler ?? null, request.num_inference_steps, request.guidance_scale, loraSet]);
}
