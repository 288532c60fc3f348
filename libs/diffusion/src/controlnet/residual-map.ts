import type * as ort from 'onnxruntime-node';
import { ControlNetError } from './errors.js';

const RESIDUAL_SUFFIX = '_additional_residual';

/** One residual: the ControlNet output that feeds a UNet input, and its guess-mode position. */
export interface ResidualLink {
  readonly output: string;
  readonly input: string;
  /** diffusers' guess-mode factor for it: 10^(-1 + j/N) for down residual j of N, 1 for the mid one. */
  readonly guessFactor: number;
}

/** The UNet inputs that take ControlNet residuals, in the UNet's declared order. */
export function unetResidualInputs(unet: ort.InferenceSession): string[] {
  return unet.inputNames.filter((name) => name.endsWith(RESIDUAL_SUFFIX));
}

/**
 * Pairs a ControlNet's outputs with the UNet's residual inputs: by name when every UNet input
 * has an output of the same name, else by position (exports that name outputs
 * `down_block_res_samples…`, or number them differently). The counts must agree.
 */
export function linkResiduals(controlnet: ort.InferenceSession, unetInputs: readonly string[], field: string): ResidualLink[] {
  const outputs = controlnet.outputNames;
  const byName = unetInputs.every((name) => outputs.includes(name));
  if (!byName && outputs.length !== unetInputs.length) {
    throw new ControlNetError('controlnet_residual_mismatch', field, `the ControlNet has ${outputs.length} outputs, the UNet takes ${unetInputs.length} residuals`);
  }
  const downs = unetInputs.filter((name) => !name.startsWith('mid_'));
  // torch.logspace(-1, 0, N + 1) in float32, as diffusers computes the scales.
  const factor = (input: string): number => (input.startsWith('mid_') ? 1 : Math.fround(10 ** (-1 + downs.indexOf(input) / downs.length)));
  return unetInputs.map((input, index) => ({ input, output: byName ? input : outputs[index], guessFactor: factor(input) }));
}
