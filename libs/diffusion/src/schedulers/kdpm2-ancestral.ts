/**
 * DPM2 ancestral (k-diffusion `sample_dpm_2_ancestral`, diffusers'
 * KDPM2AncestralDiscreteScheduler): DPM2 aimed at σ_down of the ancestral split, with fresh noise
 * of scale σ_up added after the corrector. The midpoint is √(σ_i·σ_down,i). The last step (to 0)
 * is a plain Euler step. Timesteps: [t0, t(mid₀), t1, t(mid₁), …, t(mid_{n−2}), t_{n−1}].
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
import { interleaveAfterFirst, repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';
import { sigmaToTimestep, toFloat32Values } from './sigmas.js';

export class Kdpm2AncestralScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  // All laid out [a0, a1, a1, a2, a2, …] like diffusers, so index arithmetic matches it.
  private readonly sigmas: Float64Array;
  private readonly midpoints: Float64Array;
  private readonly sigmasUp: Float64Array;
  private readonly sigmasDown: Float64Array;
  private readonly noise: NoiseSource;
  /** Whether buffer 1 holds the predictor's start sample (between the two evaluations of a step). */
  private betweenStages = false;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseSamplePrediction(config.prediction_type, 'DPM2 ancestral');
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras), { roundKarrasTimesteps: true });
    const sigmas = withFinalSigma(schedule.sigmas);
    const last = sigmas.length - 1;
    const splits = Array.from(sigmas, (s, k) => ancestralStep(s, k < last ? sigmas[k + 1] : 0));
    const up = toFloat32Values(splits.map((split) => split.sigmaUp));
    const down = toFloat32Values(splits.map((split) => split.sigmaDown));
    down[last] = 0;
    // Geometric mean of σ and σ_down; the last two (steps that end at σ = 0) are pinned to 0.
    const midpoints = toFloat32Values(sigmas.map((s, k) => (k >= last - 1 ? 0 : Math.sqrt(s * down[k]))));
    this.sigmas = repeatAfterFirst(sigmas);
    this.midpoints = repeatAfterFirst(midpoints);
    this.sigmasUp = repeatAfterFirst(up);
    this.sigmasDown = repeatAfterFirst(down);
    const midpointTimesteps = toFloat32Values(midpoints.subarray(0, last - 1).map((s) => sigmaToTimestep(s, schedule.logSigmaTable)));
    this.timesteps = interleaveAfterFirst(schedule.timesteps, midpointTimesteps);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
    this.noise = options.noise;
  }

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    const firstStage = !this.betweenStages || this.startsRun(index);
    scaleForSigmaInto(out, sample, firstStage ? this.sigmas[index] : this.midpoints[index - 1]);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) this.betweenStages = false;
    const original = this.buffer(0, sample.length);
    const predictorSample = this.buffer(1, sample.length);
    if (!this.betweenStages) {
      const sigma = this.sigmas[index];
      const midpoint = this.midpoints[index];
      originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, sigma);
      predictorSample.set(sample);
      this.betweenStages = true;
      const ratio = (midpoint - sigma) / sigma;
      return combine2Into(out, 1 + ratio, sample, -ratio, original);
    }
    const sigma = this.sigmas[index - 1];
    const midpoint = this.midpoints[index - 1];
    const sigmaUp = this.sigmasUp[index - 1];
    const sigmaDown = this.sigmasDown[index - 1];
    originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, midpoint);
    this.betweenStages = false;
    const ratio = (sigmaDown - sigma) / midpoint;
    combine3Into(out, 1, predictorSample, ratio, sample, -ratio, original);
    if (sigmaUp === 0) return;
    // The deterministic part is rounded to float32 first, as the two-pass reference does.
    const noise = this.buffer(2, sample.length);
    this.noise.randnInto(noise);
    combine2Into(out, 1, out, sigmaUp, noise);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
