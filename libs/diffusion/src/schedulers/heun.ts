/**
 * Heun's method (Karras et al. 2022, algorithm 1 without churn): diffusers'
 * HeunDiscreteScheduler. Each σ step evaluates the model twice: an Euler predictor to σ_next,
 * then the average of the two slopes. Timesteps repeat accordingly: [t0, t1, t1, t2, t2, …].
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { wantsKarras } from './extra-settings.js';
import { addNoiseAtSigma, karrasInitNoiseSigma, karrasStyleSchedule, scaleForSigma, withFinalSigma } from './karras-schedule.js';
import { clamp, combine } from './latents.js';
import { originalFromKarras } from './prediction.js';
import { repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';

interface PredictorState {
  readonly derivative: Float32Array;
  readonly dt: number;
  readonly sample: Float32Array;
}

export class HeunScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  /** [σ0, σ1, σ1, …, σ_{n−1}, σ_{n−1}, 0], aligned with timesteps plus the final 0. */
  private readonly sigmas: Float64Array;
  private predictor: PredictorState | null = null;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras));
    const sigmas = withFinalSigma(schedule.sigmas);
    this.sigmas = Float64Array.of(...repeatAfterFirst(sigmas.subarray(0, sigmas.length - 1)), 0);
    this.timesteps = repeatAfterFirst(schedule.timesteps);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return scaleForSigma(sample, this.sigmas[index]);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, index, sample);
    if (this.startsRun(index)) this.predictor = null;
    const predictor = this.predictor;
    // The predictor evaluated the model at σ; the corrector at σ_next.
    const sigma = predictor === null ? this.sigmas[index] : this.sigmas[index - 1];
    const sigmaNext = predictor === null ? this.sigmas[index + 1] : this.sigmas[index];
    const sigmaInput = predictor === null ? sigma : sigmaNext;
    let original = originalFromKarras(this.config.prediction_type, modelOutput, sample, sigmaInput);
    if (this.config.clip_sample) original = clamp(original, this.config.clip_sample_range);
    const derivative = combine([1 / sigmaInput, sample], [-1 / sigmaInput, original]);
    if (predictor === null) {
      const dt = sigmaNext - sigma;
      this.predictor = { derivative, dt, sample: sample.slice() };
      return combine([1, sample], [dt, derivative]);
    }
    this.predictor = null;
    return combine([1, predictor.sample], [predictor.dt / 2, predictor.derivative], [predictor.dt / 2, derivative]);
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return addNoiseAtSigma(original, noise, this.sigmas[index]);
  }
}
