/**
 * DDPM ancestral sampling (Ho et al. 2020), diffusers' DDPMScheduler: sample the posterior
 * q(x_prev | x_t, x̂₀) with the fixed variance type. The previous timestep is the next entry of
 * the schedule (−1 after the last), as in current diffusers.
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { alphasCumprod } from './alphas.js';
import { addNoiseDiscrete } from './discrete-schedule.js';
import { readChoice, refuseEnabled } from './extra-settings.js';
import { clamp, combine } from './latents.js';
import { originalFromVp } from './prediction.js';
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

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return sample.slice();
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, index, sample);
    const timestep = this.timesteps[index];
    const alphaProd = this.alphas[timestep];
    const alphaPrev = index + 1 < this.timesteps.length ? this.alphas[this.timesteps[index + 1]] : 1;
    const betaProd = 1 - alphaProd;
    const betaPrev = 1 - alphaPrev;
    const currentAlpha = alphaProd / alphaPrev;
    const currentBeta = 1 - currentAlpha;
    let original = originalFromVp(this.config.prediction_type, modelOutput, sample, Math.sqrt(alphaProd), Math.sqrt(betaProd));
    if (this.config.clip_sample) original = clamp(original, this.config.clip_sample_range);
    const mean = combine([(Math.sqrt(alphaPrev) * currentBeta) / betaProd, original], [(Math.sqrt(currentAlpha) * betaPrev) / betaProd, sample]);
    if (timestep <= 0) return mean;
    const posteriorVariance = Math.max((betaPrev / betaProd) * currentBeta, 1e-20);
    const variance = this.varianceType === 'fixed_large' ? currentBeta : posteriorVariance;
    return combine([1, mean], [Math.sqrt(variance), this.noise.randn(sample.length)]);
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return addNoiseDiscrete(original, noise, this.alphas[this.timesteps[index]]);
  }
}
