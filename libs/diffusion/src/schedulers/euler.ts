/**
 * Euler (Karras et al. 2022, algorithm 2 without churn): diffusers' EulerDiscreteScheduler with
 * s_churn = 0, i.e. x ← x + (x − x̂₀)/σ · (σ_next − σ).
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { alphasCumprodForSigmas } from './alphas.js';
import { readChoice, wantsKarras } from './extra-settings.js';
import { addNoiseAtSigmaInto, karrasInitNoiseSigma, karrasStyleSchedule, scaleForSigmaInto, withFinalSigma } from './karras-schedule.js';
import { combine2Into } from './latents.js';
import { originalFromKarrasInto } from './prediction.js';
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

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    scaleForSigmaInto(out, sample, this.sigmas[index]);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    const sigma = this.sigmas[index];
    const original = this.buffer(0, sample.length);
    originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, sigma);
    // x + d·dt with d = (x − x̂₀)/σ, written as one combination of x and x̂₀.
    const ratio = (this.sigmas[index + 1] - sigma) / sigma;
    combine2Into(out, 1 + ratio, sample, -ratio, original);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
