/**
 * DPM2 (k-diffusion `sample_dpm_2`, diffusers' KDPM2DiscreteScheduler): a midpoint method in
 * log σ. The first evaluation at σ_i steps by Euler to the geometric midpoint σ_mid = √(σ_i·σ_{i+1});
 * the second, at σ_mid, takes the full step from σ_i with the midpoint slope. The final step
 * (to σ = 0) is a plain Euler step. Timesteps: [t0, t(mid₁), t1, t(mid₂), t2, …, t_{n−1}].
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
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
import { interleaveAfterFirst, repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';
import { sigmaToTimestep, toFloat32Values } from './sigmas.js';

export class Kdpm2Scheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  /** [σ0, σ1, σ1, …, σ_{n−1}, σ_{n−1}, 0, 0]. */
  private readonly sigmas: Float64Array;
  /** Midpoints laid out like `sigmas`: entry 2k−1 and 2k hold √(σ_k·σ_{k−1}). */
  private readonly midpoints: Float64Array;
  /** Whether buffer 1 holds the predictor's start sample (between the two evaluations of a step). */
  private betweenStages = false;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseSamplePrediction(config.prediction_type, 'DPM2');
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras), { roundKarrasTimesteps: true });
    const sigmas = withFinalSigma(schedule.sigmas);
    // exp(lerp(log σ_k, log σ_{k−1}, ½)); entry 0 has no predecessor and is never read.
    const midpoints = toFloat32Values(sigmas.map((s, k) => (k === 0 ? Number.NaN : Math.exp((Math.log(s) + Math.log(sigmas[k - 1])) / 2))));
    this.sigmas = repeatAfterFirst(sigmas);
    this.midpoints = repeatAfterFirst(midpoints);
    const midpointTimesteps = toFloat32Values(midpoints.subarray(1, midpoints.length - 1).map((s) => sigmaToTimestep(s, schedule.logSigmaTable)));
    this.timesteps = interleaveAfterFirst(schedule.timesteps, midpointTimesteps);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
  }

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    const firstStage = !this.betweenStages || this.startsRun(index);
    scaleForSigmaInto(out, sample, firstStage ? this.sigmas[index] : this.midpoints[index]);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) this.betweenStages = false;
    const original = this.buffer(0, sample.length);
    const predictorSample = this.buffer(1, sample.length);
    if (!this.betweenStages) {
      const sigma = this.sigmas[index];
      const midpoint = this.midpoints[index + 1];
      originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, sigma);
      predictorSample.set(sample);
      this.betweenStages = true;
      const ratio = (midpoint - sigma) / sigma;
      return combine2Into(out, 1 + ratio, sample, -ratio, original);
    }
    const sigma = this.sigmas[index - 1];
    const midpoint = this.midpoints[index];
    const sigmaNext = this.sigmas[index];
    originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, midpoint);
    this.betweenStages = false;
    const ratio = (sigmaNext - sigma) / midpoint;
    combine3Into(out, 1, predictorSample, ratio, sample, -ratio, original);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
