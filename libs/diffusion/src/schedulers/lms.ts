/**
 * Linear multistep (k-diffusion `sample_lms`, diffusers' LMSDiscreteScheduler, order 4): the
 * derivative d = (x − x̂₀)/σ is extrapolated by a Lagrange polynomial through the last ≤ 4
 * derivatives and integrated exactly over [σ_i, σ_{i+1}].
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { wantsKarras } from './extra-settings.js';
import { addNoiseAtSigma, karrasInitNoiseSigma, karrasStyleSchedule, scaleForSigma, withFinalSigma } from './karras-schedule.js';
import { combine, type Term } from './latents.js';
import { originalFromKarras } from './prediction.js';
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
  private derivatives: Float32Array[] = [];

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

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return scaleForSigma(sample, this.sigmas[index]);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, index, sample);
    if (this.startsRun(index)) this.derivatives = [];
    const sigma = this.sigmas[index];
    const original = originalFromKarras(this.config.prediction_type, modelOutput, sample, sigma);
    this.derivatives.push(combine([1 / sigma, sample], [-1 / sigma, original]));
    if (this.derivatives.length > MAX_ORDER) this.derivatives.shift();
    // The polynomial's order is the history length, so an img2img run starts at first order.
    const order = this.derivatives.length;
    const terms: Term[] = [[1, sample]];
    const newestFirst = [...this.derivatives].reverse();
    for (let k = 0; k < order; k++) terms.push([this.lmsCoefficient(order, index, k), newestFirst[k]]);
    return combine(...terms);
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkIndex(index);
    return addNoiseAtSigma(original, noise, this.sigmas[index]);
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
