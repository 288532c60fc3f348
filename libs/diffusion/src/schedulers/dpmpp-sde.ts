/**
 * DPM++ SDE (k-diffusion `sample_dpmpp_sde` with r = ½, diffusers' DPMSolverSDEScheduler): a
 * stochastic second-order DPM-Solver++ step in t = −log σ. Stage one goes to the midpoint
 * σ_mid = √(σ·σ_next) with the ancestral split; stage two redoes the whole step from σ with the
 * midpoint's x̂₀. The last step (to 0) is Euler. Noise comes from a seeded Brownian path (see
 * brownian-path.ts; torchsde's tree values are not reproduced, its law is).
 * Timesteps: [t0, t(mid₀), t1, t(mid₁), …, t_{n−1}].
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { ancestralStep } from './ancestral.js';
import { BrownianPath } from './brownian-path.js';
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
import { repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';
import { sigmaToTimestep, toFloat32Values } from './sigmas.js';

/** The midpoint t + h/2 in t = −log σ, i.e. √(σ·σ_next). */
function geometricMidpoint(sigma: number, sigmaNext: number): number {
  return Math.exp((Math.log(sigma) + Math.log(sigmaNext)) / 2);
}

export class DpmppSdeScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  /** [σ0, σ1, σ1, …, σ_{n−1}, σ_{n−1}, 0]. */
  private readonly sigmas: Float64Array;
  private readonly noise: NoiseSource;
  private path: BrownianPath | null = null;
  /** σ_mid of the step between its two evaluations (its start sample sits in buffer 1), else null. */
  private firstStageMidpoint: number | null = null;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseSamplePrediction(config.prediction_type, 'DPM++ SDE');
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras));
    const sigmas = withFinalSigma(schedule.sigmas);
    const midpointTimesteps = schedule.sigmas
      .subarray(0, schedule.sigmas.length - 1)
      .map((s, k) => sigmaToTimestep(geometricMidpoint(s, schedule.sigmas[k + 1]), schedule.logSigmaTable));
    this.sigmas = Float64Array.of(...repeatAfterFirst(sigmas.subarray(0, sigmas.length - 1)), 0);
    const timesteps = repeatAfterFirst(schedule.timesteps);
    midpointTimesteps.forEach((t, k) => (timesteps[2 * k + 1] = Math.fround(t)));
    this.timesteps = toFloat32Values(timesteps);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
    this.noise = options.noise;
  }

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    const midpoint = this.startsRun(index) ? null : this.firstStageMidpoint;
    scaleForSigmaInto(out, sample, midpoint === null ? this.sigmas[index] : midpoint);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) {
      this.firstStageMidpoint = null;
      this.path = new BrownianPath(this.noise, sample.length);
    }
    const path = this.path ?? (this.path = new BrownianPath(this.noise, sample.length));
    const stageMidpoint = this.firstStageMidpoint;
    const sigma = stageMidpoint === null ? this.sigmas[index] : this.sigmas[index - 1];
    const sigmaNext = stageMidpoint === null ? this.sigmas[index + 1] : this.sigmas[index];
    const original = this.buffer(0, sample.length);
    originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, stageMidpoint === null ? sigma : stageMidpoint);
    if (sigmaNext === 0) {
      const ratio = (sigmaNext - sigma) / sigma;
      return combine2Into(out, 1 + ratio, sample, -ratio, original);
    }
    const midpoint = geometricMidpoint(sigma, sigmaNext);
    const target = stageMidpoint === null ? midpoint : sigmaNext;
    const stageSample = this.buffer(1, sample.length);
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, target);
    // (σ_down/σ)·x − expm1(log(σ_down/σ))·x̂₀, the exponential-integrator step in t = −log σ.
    const decay = sigmaDown / sigma;
    const increment = this.buffer(2, sample.length);
    path.normalizedIncrementInto(sigma, target, increment);
    if (stageMidpoint === null) {
      // Stage one starts from this sample; keep it for stage two before `out` (maybe `sample`) is written.
      stageSample.set(sample);
      combine3Into(out, decay, stageSample, -Math.expm1(Math.log(decay)), original, sigmaUp, increment);
      this.firstStageMidpoint = midpoint;
      return;
    }
    combine3Into(out, decay, stageSample, -Math.expm1(Math.log(decay)), original, sigmaUp, increment);
    this.firstStageMidpoint = null;
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
