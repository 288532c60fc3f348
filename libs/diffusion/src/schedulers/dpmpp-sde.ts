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
  addNoiseAtSigma,
  karrasInitNoiseSigma,
  karrasStyleSchedule,
  refuseSamplePrediction,
  scaleForSigma,
  withFinalSigma,
} from './karras-schedule.js';
import { combine } from './latents.js';
import { originalFromKarras } from './prediction.js';
import { repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';
import { sigmaToTimestep, toFloat32Values } from './sigmas.js';

/** The midpoint t + h/2 in t = −log σ, i.e. √(σ·σ_next). */
function geometricMidpoint(sigma: number, sigmaNext: number): number {
  return Math.exp((Math.log(sigma) + Math.log(sigmaNext)) / 2);
}

interface FirstStage {
  readonly sample: Float32Array;
  readonly midpoint: number;
}

export class DpmppSdeScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  /** [σ0, σ1, σ1, …, σ_{n−1}, σ_{n−1}, 0]. */
  private readonly sigmas: Float64Array;
  private readonly noise: NoiseSource;
  private path: BrownianPath | null = null;
  private firstStage: FirstStage | null = null;

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

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    const stage = this.startsRun(index) ? null : this.firstStage;
    return scaleForSigma(sample, stage === null ? this.sigmas[index] : stage.midpoint);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, index, sample);
    if (this.startsRun(index)) {
      this.firstStage = null;
      this.path = new BrownianPath(this.noise, sample.length);
    }
    const path = this.path ?? (this.path = new BrownianPath(this.noise, sample.length));
    const stage = this.firstStage;
    const sigma = stage === null ? this.sigmas[index] : this.sigmas[index - 1];
    const sigmaNext = stage === null ? this.sigmas[index + 1] : this.sigmas[index];
    const original = originalFromKarras(this.config.prediction_type, modelOutput, sample, stage === null ? sigma : stage.midpoint);
    if (sigmaNext === 0) {
      const ratio = (sigmaNext - sigma) / sigma;
      return combine([1 + ratio, sample], [-ratio, original]);
    }
    const midpoint = geometricMidpoint(sigma, sigmaNext);
    const target = stage === null ? midpoint : sigmaNext;
    const start = stage === null ? sample : stage.sample;
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, target);
    // (σ_down/σ)·x − expm1(log(σ_down/σ))·x̂₀, the exponential-integrator step in t = −log σ.
    const decay = sigmaDown / sigma;
    const next = combine([decay, start], [-Math.expm1(Math.log(decay)), original], [sigmaUp, path.normalizedIncrement(sigma, target)]);
    this.firstStage = stage === null ? { sample: sample.slice(), midpoint } : null;
    return next;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return addNoiseAtSigma(original, noise, this.sigmas[index]);
  }
}
