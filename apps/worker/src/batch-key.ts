import type { ResolvedGeneration } from '@atelier/contracts';

/**
 * Jobs with equal keys can share one UNet batch: same model, size, scheduler, steps, guidance and
 * LoRA set (the resolved `loras`, which already hold the prompts' `<lora:…>` tags; weight 0 means
 * none). Prompts, negative prompts, style, seeds, samples and output
 * options may differ. `undefined`: the job always runs alone (image-to-image, inpainting,
 * outpainting, refiner, ControlNets, an IP-Adapter, hires fix or mask_prompt, or more samples than a batch holds).
 */
export function batchKey(request: ResolvedGeneration, maxImages: number): string | undefined {
  // ControlNets and image prompts: each job's own maps, nets and image tokens steer its UNet, so it never shares a batch.
  if (request.init_image || request.mask_image || request.outpaint || request.refiner || request.hires || request.mask_prompt || (request.controlnets?.length ?? 0) > 0 || request.ip_adapter) return undefined;
  if (request.samples >= maxImages) return undefined;
  const loraSet = request.loras
    .filter((lora) => lora.weight !== 0)
    .map((lora) => `${lora.name}:${lora.weight}`)
    .sort();
  return JSON.stringify([request.model, request.width, request.height, request.scheduler ?? null, request.num_inference_steps, request.guidance_scale, loraSet]);
}
