/**
 * Euler (Karras et al. 2022, algorithm 2 without churn): diffusers' EulerDiscreteScheduler with
 * s_churn = 0, i.e. x ← x + (x − x̂₀)/σ · (σ_next − σ).
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { alphasCumprodForSigmas } from './alphas.js';
import { readChoice, wantsKarras } from './extra-settings.js';
import { addNoiseAtSigma, karrasInitNoiseSigma, karrasStyleSchedule, scaleForSigma, withFinalSigma } from './karras-schedule.js';
import { combine } from './latents.js';
import { originalFromKarras } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';

export class EulerScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 1;
  private readonly sigmas: Float64Array;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    readChoice(config, 'interpolation_type', ['linear'], 'linear');
    readChoice(config, 'timestep_type', ['discrete'], 'discrete');
    const finalSigmas = readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'], 'zero');
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras));
    const alphas = alphasCumprodForSigmas(config);
    const finalSigma = finalSigmas === 'zero' ? 0 : Math.sqrt((1 - alphas[0]) / alphas[0]);
    this.timesteps = schedule.timesteps;
    this.sigmas = withFinalSigma(schedule.sigmas, finalSigma);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return scaleForSigma(sample, this.sigmas[index]);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, index, sample);
    const sigma = this.sigmas[index];
    const original = originalFromKarras(this.config.prediction_type, modelOutput, sample, sigma);
    // x + d·dt with d = (x − x̂₀)/σ, written as one combination of x and x̂₀.
    const ratio = (this.sigmas[index + 1] - sigma) / sigma;
    return combine([1 + ratio, sample], [-ratio, original]);
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return addNoiseAtSigma(original, noise, this.sigmas[index]);
  }
}
