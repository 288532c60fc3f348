/**
 * Latent Consistency Model sampling (Luo et al. 2023), diffusers' LCMScheduler: each step maps
 * x_t to a consistency-boundary denoised estimate c_skip·x_t + c_out·x̂₀ and re-noises it to the
 * next timestep with fresh noise (none after the last step). Timesteps are taken from the
 * distillation grid of `original_inference_steps`; timestep_spacing does not apply. img2img uses
 * setBeginIndex on the full schedule (diffusers instead rebuilds it with `strength`).
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { alphasCumprod } from './alphas.js';
import { addNoiseDiscreteInto } from './discrete-schedule.js';
import { SchedulerConfigError } from './errors.js';
import { readInteger, readNumber, refuseEnabled } from './extra-settings.js';
import { clampInPlace, combine2Into } from './latents.js';
import { originalFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';

const SIGMA_DATA = 0.5;

export function lcmTimesteps(trainTimesteps: number, originalSteps: number, steps: number): Float64Array {
  if (originalSteps > trainTimesteps) {
    throw new SchedulerConfigError(`original_inference_steps (${originalSteps}) exceeds num_train_timesteps (${trainTimesteps})`);
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > originalSteps) {
    throw new SchedulerConfigError(`LCM steps must be an integer in [1, ${originalSteps}] (original_inference_steps), got ${steps}`);
  }
  const stride = Math.floor(trainTimesteps / originalSteps);
  // The distillation grid k·stride − 1, newest first, sampled at ⌊i·(len/steps)⌋ (numpy linspace, endpoint=False).
  const grid = Array.from({ length: originalSteps }, (_, i) => (originalSteps - i) * stride - 1);
  const spacing = originalSteps / steps;
  return Float64Array.from({ length: steps }, (_, i) => grid[Math.floor(i * spacing)]);
}

export class LcmScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly alphas: Float64Array;
  private readonly timestepScaling: number;
  private readonly noise: NoiseSource;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseEnabled(config, ['thresholding']);
    this.alphas = alphasCumprod(config);
    const originalSteps = readInteger(config, 'original_inference_steps', 50, 1, config.num_train_timesteps);
    this.timestepScaling = readNumber(config, 'timestep_scaling', 10);
    this.timesteps = lcmTimesteps(config.num_train_timesteps, originalSteps, options.steps);
    this.noise = options.noise;
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    const timestep = this.timesteps[index];
    const alphaProd = this.alphas[timestep];
    const scaled = timestep * this.timestepScaling;
    const cSkip = SIGMA_DATA ** 2 / (scaled ** 2 + SIGMA_DATA ** 2);
    const cOut = scaled / Math.sqrt(scaled ** 2 + SIGMA_DATA ** 2);
    const original = this.buffer(0, sample.length);
    originalFromVpInto(original, this.config.prediction_type, modelOutput, sample, Math.sqrt(alphaProd), Math.sqrt(1 - alphaProd));
    if (this.config.clip_sample) clampInPlace(original, this.config.clip_sample_range);
    // The denoised estimate is rounded to float32 before re-noising, as the two-pass reference does.
    combine2Into(out, cOut, original, cSkip, sample);
    if (index === this.timesteps.length - 1) return;
    const alphaPrev = this.alphas[this.timesteps[index + 1]];
    const noise = this.buffer(1, sample.length);
    this.noise.randnInto(noise);
    combine2Into(out, Math.sqrt(alphaPrev), out, Math.sqrt(1 - alphaPrev), noise);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseDiscreteInto(out, original, noise, this.alphas[this.timesteps[index]]);
  }
}
