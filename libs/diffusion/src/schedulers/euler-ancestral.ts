/**
 * Euler ancestral: diffusers' EulerAncestralDiscreteScheduler. Each step goes to σ_down by Euler
 * and adds σ_up of fresh noise. Karras σ is an extension here (the diffusers class has none);
 * it uses the same construction as EulerDiscreteScheduler.
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { ancestralStep } from './ancestral.js';
import { wantsKarras } from './extra-settings.js';
import {
  addNoiseAtSigma,
  karrasInitNoiseSigma,
  karrasStyleSchedule,
  refuseSamplePrediction,
  scaleForSigma,
  withFinalSigma,
} from './karras-schedule.js';
import { combine } from './latents.js';
import { originalFromKarras } from './prediction.js';
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

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return scaleForSigma(sample, this.sigmas[index]);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, index, sample);
    const sigma = this.sigmas[index];
    const original = originalFromKarras(this.config.prediction_type, modelOutput, sample, sigma);
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, this.sigmas[index + 1]);
    const ratio = (sigmaDown - sigma) / sigma;
    if (sigmaUp === 0) return combine([1 + ratio, sample], [-ratio, original]);
    return combine([1 + ratio, sample], [-ratio, original], [sigmaUp, this.noise.randn(sample.length)]);
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return addNoiseAtSigma(original, noise, this.sigmas[index]);
  }
}
