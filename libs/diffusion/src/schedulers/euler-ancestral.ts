/**
 * Euler ancestral: diffusers' EulerAncestralDiscreteScheduler. Each step goes to σ_down by Euler
 * and adds σ_up of fresh noise. Karras σ is an extension here (the diffusers class has none);
 * it uses the same construction as EulerDiscreteScheduler.
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { ancestralStep } from './ancestral.js';
import { wantsKarras } from './extra-settings.js';
import {
  addNoiseAtSigmaInto,
  karrasInitNoiseSigma,
  karrasStyleSchedule,
  refuseSamplePrediction,
  scaleForSigmaInto,
  withFinalSigma,
} from './karras-schedule.js';
import { combine2Into, combine3Into } from './latents.js';
import { originalFromKarrasInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';

export class EulerAncestralScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 1;
  private readonly sigmas: Float64Array;
  private readonly noise: NoiseSource;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseSamplePrediction(config.prediction_type, 'Euler ancestral');
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras));
    this.timesteps = schedule.timesteps;
    this.sigmas = withFinalSigma(schedule.sigmas);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
    this.noise = options.noise;
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
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, this.sigmas[index + 1]);
    const ratio = (sigmaDown - sigma) / sigma;
    if (sigmaUp === 0) return combine2Into(out, 1 + ratio, sample, -ratio, original);
    const noise = this.buffer(1, sample.length);
    this.noise.randnInto(noise);
    combine3Into(out, 1 + ratio, sample, -ratio, original, sigmaUp, noise);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
