import type * as ort from 'onnxruntime-node';
import type { UnetConditioning } from './types.js';

/** What a conditioning source sees of one denoising step. */
export interface DenoisingStep {
  /** Position in the loop (0 = first UNet call of this generation). */
  readonly index: number;
  /** UNet calls in the loop (diffusers' `len(timesteps)`: the img2img tail, PNDM's repeat included). */
  readonly total: number;
  readonly timestep: number;
  /** The scaled latents, one row per image (the conditional half's sample). */
  readonly scaled: Float32Array;
  /** The scaled latents as the UNet gets them (doubled with classifier-free guidance), 4 channels. */
  readonly latentInput: Float32Array;
  readonly latentDims: readonly number[];
}

/**
 * One source of what steers the UNet besides the text, plugged into the denoising loop. Text
 * conditioning is the base every source starts from. A source may extend that base once per
 * generation (IP-Adapter: image tokens appended to `encoder_hidden_states`, an `ipadapter_scale`
 * input) and/or add inputs per step (ControlNet: the residuals). The loop knows nothing else
 * about a source. Sources a request brings (image prompts) reach the pipeline as
 * `ConditioningProvider`s (conditioning-provider.ts), which may also pick the UNet export.
 */
export interface ConditioningSource {
  /** Once, before the loop: the conditioning every step starts from, possibly extended. */
  extend?(conditioning: UnetConditioning): Promise<UnetConditioning>;
  /**
   * Per step: extra UNet inputs by name. The tensors stay owned by the source and are valid
   * until its next call; the loop hands them to the UNet as they are (no copies). `conditioning`
   * is the text conditioning before any `extend` (ControlNets attend to the prompt alone, as in
   * diffusers, even when an IP-Adapter appends image tokens to what the UNet gets).
   */
  stepInputs?(step: DenoisingStep, conditioning: UnetConditioning): Promise<Readonly<Record<string, ort.Tensor>>>;
  /** Time spent in the source's own model calls, for the stats. */
  readonly runMs?: number;
}

/** Applies every source's `extend`, in order. */
export async function extendConditioning(sources: readonly ConditioningSource[], base: UnetConditioning): Promise<UnetConditioning> {
  let conditioning = base;
  for (const source of sources) if (source.extend) conditioning = await source.extend(conditioning);
  return conditioning;
}

/** Every source's inputs for one step, merged (sources feed disjoint inputs); one source's are passed as they are. */
export async function stepInputs(sources: readonly ConditioningSource[], step: DenoisingStep, conditioning: UnetConditioning): Promise<Readonly<Record<string, ort.Tensor>> | undefined> {
  let merged: Readonly<Record<string, ort.Tensor>> | undefined;
  for (const source of sources) {
    if (!source.stepInputs) continue;
    const inputs = await source.stepInputs(step, conditioning);
    merged = merged ? { ...merged, ...inputs } : inputs;
  }
  return merged;
}
