/**
 * DDIM (Song et al. 2020) with η = 0, diffusers' DDIMScheduler: predict x̂₀ and ε, then jump to
 * the previous timestep t − N/n along the deterministic path. As in diffusers, the previous
 * timestep is always t − ⌊N/n⌋, whatever the spacing rule.
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { alphasCumprod } from './alphas.js';
import { addNoiseDiscreteInto, alphaAt, finalAlphaCumprod } from './discrete-schedule.js';
import { refuseEnabled } from './extra-settings.js';
import { clampInPlace, combine2Into } from './latents.js';
import { epsilonFromVpInto, originalFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';
import { discreteTimesteps } from './spacing.js';

export class DdimScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly alphas: Float64Array;
  private readonly finalAlpha: number;
  private readonly stride: number;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseEnabled(config, ['thresholding']);
    this.alphas = alphasCumprod(config);
    this.finalAlpha = finalAlphaCumprod(config, this.alphas);
    this.timesteps = discreteTimesteps({
      spacing: config.timestep_spacing,
      trainTimesteps: config.num_train_timesteps,
      steps: options.steps,
      stepsOffset: config.steps_offset,
    });
    this.stride = Math.floor(config.num_train_timesteps / options.steps);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    const timestep = this.timesteps[index];
    const alphaProd = this.alphas[timestep];
    const alphaPrev = alphaAt(this.alphas, timestep - this.stride, this.finalAlpha);
    const alpha = Math.sqrt(alphaProd);
    const sigma = Math.sqrt(1 - alphaProd);
    const prediction = this.config.prediction_type;
    const original = this.buffer(0, sample.length);
    originalFromVpInto(original, prediction, modelOutput, sample, alpha, sigma);
    // Clipping only touches x̂₀; ε stays the model's (diffusers' use_clipped_model_output=False).
    if (this.config.clip_sample) clampInPlace(original, this.config.clip_sample_range);
    const epsilon = this.buffer(1, sample.length);
    epsilonFromVpInto(epsilon, prediction, modelOutput, sample, alpha, sigma);
    combine2Into(out, Math.sqrt(alphaPrev), original, Math.sqrt(1 - alphaPrev), epsilon);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseDiscreteInto(out, original, noise, this.alphas[this.timesteps[index]]);
  }
}
