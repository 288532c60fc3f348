import { RESOLVED_GENERATION_VERSION, type ResolvedGeneration } from '@atelier/contracts';

/** A complete resolved request for store and outbox tests; override only what a test is about. */
export function resolvedRequest(overrides: Partial<ResolvedGeneration> = {}): ResolvedGeneration {
  return {
    v: RESOLVED_GENERATION_VERSION,
    model: 'demo-sd15',
    prompt: 'a red circle',
    negative_prompt: '',
    style: 'base',
    styled: { prompt: 'a red circle', negative_prompt: '' },
    conditioning: { prompt: 'a red circle', negative_prompt: '' },
    width: 64,
    height: 64,
    samples: 1,
    num_inference_steps: 4,
    guidance_scale: 7,
    strength: 0.8,
    high_noise_fraction: 0.8,
    seed: 1,
    refiner: false,
    base64: false,
    loras: [],
    mask_blur: 0,
    output_format: 'png',
    output_quality: 90,
    ...overrides,
  };
}
