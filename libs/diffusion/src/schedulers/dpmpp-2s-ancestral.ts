/**
 * DPM++ 2S ancestral: k-diffusion's `sample_dpmpp_2s_ancestral` (eta = 1, s_noise = 1), which
 * diffusers has no class for ("DPM++ 2S a" in A1111/ComfyUI; diffusers' deterministic
 * DPMSolverSinglestepScheduler is a different sampler, dpm-solver-singlestep.ts). Built like the
 * diffusers k-diffusion ports: σ schedule from karras-schedule.ts, UNet input x/√(σ²+1), Karras σ
 * optional; scheduler_config keys it leaves out take Euler a's class defaults (its nearest kin).
 *
 * Per step σ_i → σ_{i+1}: split into σ_down, σ_up; stage one evaluates at σ_i and moves by the
 * DPM-Solver++ exponential integrator to σ_mid = √(σ_i·σ_down); stage two evaluates there and
 * redoes the step from σ_i to σ_down with that x̂₀, then adds σ_up of fresh noise. The final step
 * (to 0) is one Euler evaluation. Timesteps: [t0, t(mid₀), t1, t(mid₁), …, t_{n−1}].
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { ancestralStep, type AncestralStep } from './ancestral.js';
import { wantsKarras } from './extra-settings.js';
import {
  addNoiseAtSigmaInto,
  karrasInitNoiseSigma,
  karrasStyleSchedule,
  refuseSamplePrediction,
  scaleForSigmaInto,
  withFinalSigma,
} from './karras-schedule.js';
import { combine1Into, combine2Into, combine3Into } from './latents.js';
import { originalFromKarrasInto } from './prediction.js';
import { repeatAfterFirst } from './repeat-schedule.js';
import { SchedulerBase } from './scheduler-base.js';
import { sigmaToTimestep, toFloat32Values } from './sigmas.js';

interface PlannedStep extends AncestralStep {
  readonly sigma: number;
  readonly sigmaNext: number;
  readonly midpoint: number;
}

export class DpmppTwoSAncestralScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 2;
  /** σ of the point each timesteps entry evaluates, plus the final 0. */
  private readonly sigmas: Float64Array;
  private readonly plan: PlannedStep[];
  private readonly noise: NoiseSource;
  /** Whether buffer 1 holds stage one's start sample (between the two evaluations of a step). */
  private betweenStages = false;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseSamplePrediction(config.prediction_type, 'DPM++ 2S ancestral');
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras));
    const sigmas = withFinalSigma(schedule.sigmas);
    this.plan = Array.from({ length: sigmas.length - 1 }, (_, i) => {
      const split = ancestralStep(sigmas[i], sigmas[i + 1]);
      return { ...split, sigma: sigmas[i], sigmaNext: sigmas[i + 1], midpoint: Math.fround(Math.sqrt(sigmas[i] * split.sigmaDown)) };
    });
    const evaluated = repeatAfterFirst(sigmas.subarray(0, sigmas.length - 1));
    const timesteps = repeatAfterFirst(schedule.timesteps);
    for (let i = 0; i + 1 < this.plan.length; i++) {
      evaluated[2 * i + 1] = this.plan[i].midpoint;
      timesteps[2 * i + 1] = sigmaToTimestep(this.plan[i].midpoint, schedule.logSigmaTable);
    }
    this.sigmas = Float64Array.of(...evaluated, 0);
    this.timesteps = toFloat32Values(timesteps);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
    this.noise = options.noise;
  }

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    scaleForSigmaInto(out, sample, this.sigmas[index]);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) this.betweenStages = false;
    const stageOne = !this.betweenStages;
    // Entry 2i is σ_i (stage one of step i), entry 2i+1 its midpoint (stage two).
    const planned = this.plan[stageOne ? index / 2 : (index - 1) / 2];
    if (planned === undefined) throw new RangeError(`index ${index} is not a ${stageOne ? 'first' : 'second'}-stage entry`);
    const original = this.buffer(0, sample.length);
    originalFromKarrasInto(original, this.config.prediction_type, modelOutput, sample, this.sigmas[index]);
    if (stageOne && planned.sigmaDown === 0) {
      // Euler to σ_down = 0 lands on x̂₀; only the last step, where σ_next = 0, gets here.
      return combine1Into(out, 1, original);
    }
    const start = this.buffer(1, sample.length);
    if (stageOne) {
      start.set(sample);
      this.betweenStages = true;
      const ratio = planned.midpoint / planned.sigma;
      return combine2Into(out, ratio, sample, 1 - ratio, original);
    }
    this.betweenStages = false;
    const ratio = planned.sigmaDown / planned.sigma;
    if (planned.sigmaUp === 0) return combine2Into(out, ratio, start, 1 - ratio, original);
    const noise = this.buffer(2, sample.length);
    this.noise.randnInto(noise);
    combine3Into(out, ratio, start, 1 - ratio, original, planned.sigmaUp, noise);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }
}
