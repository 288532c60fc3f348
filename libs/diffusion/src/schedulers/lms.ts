/**
 * Linear multistep (k-diffusion `sample_lms`, diffusers' LMSDiscreteScheduler, order 4): the
 * derivative d = (x − x̂₀)/σ is extrapolated by a Lagrange polynomial through the last ≤ 4
 * derivatives and integrated exactly over [σ_i, σ_{i+1}].
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { wantsKarras } from './extra-settings.js';
import { addNoiseAtSigmaInto, karrasInitNoiseSigma, karrasStyleSchedule, scaleForSigmaInto, withFinalSigma } from './karras-schedule.js';
import { combine2Into, TermList } from './latents.js';
import { LatentHistory } from './latent-history.js';
import { originalFromKarrasInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';

const MAX_ORDER = 4;
// 3-point Gauss–Legendre is exact for the degree ≤ 3 integrands (scipy's quad agrees to rounding).
const GAUSS_NODES = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
const GAUSS_WEIGHTS = [5 / 9, 8 / 9, 5 / 9];

export class LmsScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  readonly order = 1;
  private readonly sigmas: Float64Array;
  private readonly derivatives = new LatentHistory(MAX_ORDER);
  private readonly terms = new TermList(MAX_ORDER + 1);

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    const schedule = karrasStyleSchedule(config, options.steps, wantsKarras(config, options.karras));
    this.timesteps = schedule.timesteps;
    this.sigmas = withFinalSigma(schedule.sigmas);
    this.initNoiseSigma = karrasInitNoiseSigma(config, this.sigmas);
  }

  override scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    scaleForSigmaInto(out, sample, this.sigmas[index]);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) this.derivatives.clear();
    const sigma = this.sigmas[index];
    const derivative = this.derivatives.spare(sample.length);
    originalFromKarrasInto(derivative, this.config.prediction_type, modelOutput, sample, sigma);
    combine2Into(derivative, 1 / sigma, sample, -1 / sigma, derivative);
    this.derivatives.push(derivative);
    // The polynomial's order is the history length, so an img2img run starts at first order.
    const order = this.derivatives.length;
    const terms = this.terms.clear().add(1, sample);
    for (let k = 0; k < order; k++) terms.add(this.lmsCoefficient(order, index, k), this.derivatives.newest(k));
    terms.into(out);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseAtSigmaInto(out, original, noise, this.sigmas[index]);
  }

  /** ∫_{σ_t}^{σ_{t+1}} of the Lagrange basis polynomial for the derivative `current` steps back. */
  private lmsCoefficient(order: number, t: number, current: number): number {
    const basis = (tau: number): number => {
      let product = 1;
      for (let k = 0; k < order; k++) {
        if (k === current) continue;
        product *= (tau - this.sigmas[t - k]) / (this.sigmas[t - current] - this.sigmas[t - k]);
      }
      return product;
    };
    const from = this.sigmas[t];
    const to = this.sigmas[t + 1];
    const half = (to - from) / 2;
    const middle = (to + from) / 2;
    let integral = 0;
    for (let i = 0; i < GAUSS_NODES.length; i++) integral += GAUSS_WEIGHTS[i] * basis(middle + half * GAUSS_NODES[i]);
    return integral * half;
  }
}
