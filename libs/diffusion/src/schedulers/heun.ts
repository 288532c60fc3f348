/**
 * Heun's method (Karras et al. 2022, algorithm 1 without churn): diffusers'
 * HeunDiscreteScheduler. Each σ step evaluates the model twice: an Euler predictor to σ_next,
 * then the average of the two slopes. Timesteps repeat accordingly: [t0, t1, t1, t2, t2, …].
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { wantsKarras } from './extra-settings.js';
import { addNoiseAtSigmaInto, karrasInitNoiseSigma, karrasStyleSchedule, scaleForSigmaInto, withFinalSigma } from './karras-schedule.js';
import { clampInPlace, combine2Into, combine3Into } from './latents.js';
import { originalFromKarrasInto } from './prediction.js';
import { repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';

export class HeunScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  /** [σ0, σ1, σ1, …, σ_{n−1}, σ_{n−1}, 0], aligned with timesteps plus the final 0. */
  private readonly sigmas: Float64Array;
  /** Between the predictor and the corrector: dt of the step (its derivative and start sample sit in buffers 1 and 2). */
  private predictorDt: number | null = null;

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

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    scaleForSigmaInto(out, sample, this.sigmas[index]);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) this.predictorDt = null;
    const predictorDt = this.predictorDt;
    // The predictor evaluated the model at σ; the corrector at σ_next.
    const sigma = predictorDt === null ? this.sigmas[index] : this.sigmas[index - 1];
    const sigmaNext = predictorDt === null ? this.sigmas[index + 1] : this.sigmas[index];
    const sigmaInput = predictorDt === null ? sigma : sigmaNext;
    const original = this.buffer(0, sample.length);
    originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, sigmaInput);
    if (this.config.clip_sample) clampInPlace(original, this.config.clip_sample_range);
    const predictorDerivative = this.buffer(1, sample.length);
    const predictorSample = this.buffer(2, sample.length);
    if (predictorDt === null) {
      const dt = sigmaNext - sigma;
      combine2Into(predictorDerivative, 1 / sigmaInput, sample, -1 / sigmaInput, original);
      predictorSample.set(sample);
      this.predictorDt = dt;
      return combine2Into(out, 1, sample, dt, predictorDerivative);
    }
    // The corrector's derivative replaces x̂₀ in its own buffer.
    const derivative = original;
    combine2Into(derivative, 1 / sigmaInput, sample, -1 / sigmaInput, original);
    this.predictorDt = null;
    combine3Into(out, 1, predictorSample, predictorDt / 2, predictorDerivative, predictorDt / 2, derivative);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
