/**
 * DDPM ancestral sampling (Ho et al. 2020), diffusers' DDPMScheduler: sample the posterior
 * q(x_prev | x_t, x̂₀) with the fixed variance type. The previous timestep is the next entry of
 * the schedule (−1 after the last), as in current diffusers.
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { alphasCumprod } from './alphas.js';
import { addNoiseDiscreteInto } from './discrete-schedule.js';
import { readChoice, refuseEnabled } from './extra-settings.js';
import { clampInPlace, combine2Into } from './latents.js';
import { originalFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';
import { discreteTimesteps } from './spacing.js';

type VarianceType = 'fixed_small' | 'fixed_small_log' | 'fixed_large';

export class DdpmScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly alphas: Float64Array;
  private readonly varianceType: VarianceType;
  private readonly noise: NoiseSource;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseEnabled(config, ['thresholding']);
    this.varianceType = readChoice(config, 'variance_type', ['fixed_small', 'fixed_small_log', 'fixed_large'], 'fixed_small');
    this.alphas = alphasCumprod(config);
    this.timesteps = discreteTimesteps({
      spacing: config.timestep_spacing,
      trainTimesteps: config.num_train_timesteps,
      steps: options.steps,
      stepsOffset: config.steps_offset,
    });
    this.noise = options.noise;
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    const timestep = this.timesteps[index];
    const alphaProd = this.alphas[timestep];
    const alphaPrev = index + 1 < this.timesteps.length ? this.alphas[this.timesteps[index + 1]] : 1;
    const betaProd = 1 - alphaProd;
    const betaPrev = 1 - alphaPrev;
    const currentAlpha = alphaProd / alphaPrev;
    const currentBeta = 1 - currentAlpha;
    const original = this.buffer(0, sample.length);
    originalFromVpInto(original, this.config.prediction_type, modelOutput, sample, Math.sqrt(alphaProd), Math.sqrt(betaProd));
    if (this.config.clip_sample) clampInPlace(original, this.config.clip_sample_range);
    // The posterior mean is rounded to float32 before the noise is added, as the two-pass reference does.
    combine2Into(out, (Math.sqrt(alphaPrev) * currentBeta) / betaProd, original, (Math.sqrt(currentAlpha) * betaPrev) / betaProd, sample);
    if (timestep <= 0) return;
    const posteriorVariance = Math.max((betaPrev / betaProd) * currentBeta, 1e-20);
    const variance = this.varianceType === 'fixed_large' ? currentBeta : posteriorVariance;
    const noise = this.buffer(1, sample.length);
    this.noise.randnInto(noise);
    combine2Into(out, 1, out, Math.sqrt(variance), noise);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseDiscreteInto(out, original, noise, this.alphas[this.timesteps[index]]);
  }
}
