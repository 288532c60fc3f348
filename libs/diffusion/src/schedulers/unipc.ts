/**
 * UniPC (Zhao et al. 2023), diffusers' UniPCMultistepScheduler: a multistep predictor (UniP)
 * followed, at the next call, by a corrector (UniC) that reuses the new model evaluation, so it
 * costs one evaluation per step. B(h) variants bh1/bh2, data or noise prediction, order 1–3.
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { SchedulerConfigError } from './errors.js';
import { readBoolean, readChoice, readInteger, readIntegerList, refuseEnabled, wantsKarras } from './extra-settings.js';
import { TermList } from './latents.js';
import { LatentHistory } from './latent-history.js';
import { solveLinearSystem } from './linear-solve.js';
import { epsilonFromVpInto, originalFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';
import { alphaSigmaOf, lambdaOf } from './sigmas.js';
import { addNoiseVpInto, vpSchedule } from './vp-schedule.js';

interface Coefficients {
  /** λ offsets of the older points relative to the newest, divided by h. */
  readonly rks: number[];
  /** h·φ₁(h) in the chosen parameterisation (e^{hh} − 1). */
  readonly hPhi1: number;
  readonly bH: number;
  /** R[i][k] = rks[k]^i with rks extended by 1. */
  readonly matrix: number[][];
  readonly b: number[];
}

export class UniPcScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly sigmas: Float64Array;
  private readonly solverOrder: number;
  private readonly predictX0: boolean;
  private readonly solverType: 'bh1' | 'bh2';
  private readonly lowerOrderFinal: boolean;
  private readonly disabledCorrector: ReadonlySet<number>;
  private readonly history: LatentHistory;
  private readonly terms = new TermList(5);
  private lowerOrderSteps = 0;
  /** Whether buffer 1 holds the previous step's (corrected) sample, which the corrector starts from. */
  private hasLastSample = false;
  private lastOrder = 1;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseEnabled(config, ['thresholding', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas', 'solver_p']);
    this.solverOrder = readInteger(config, 'solver_order', 2, 1, 3);
    this.predictX0 = readBoolean(config, 'predict_x0', true);
    this.solverType = readChoice(config, 'solver_type', ['bh1', 'bh2'], 'bh2');
    this.lowerOrderFinal = readBoolean(config, 'lower_order_final', true);
    this.disabledCorrector = new Set(readIntegerList(config, 'disable_corrector'));
    const finalSigma = readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'], 'zero');
    if (!this.predictX0 && finalSigma === 'zero') {
      throw new SchedulerConfigError('UniPC with predict_x0=false needs final_sigmas_type "sigma_min" (σ = 0 is singular for noise prediction)');
    }
    const schedule = vpSchedule(config, { steps: options.steps, karras: wantsKarras(config, options.karras), finalSigma });
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.history = new LatentHistory(this.solverOrder);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) {
      this.history.clear();
      this.lowerOrderSteps = 0;
      this.hasLastSample = false;
    }
    const { alpha, sigma } = alphaSigmaOf(this.sigmas[index]);
    const converted = this.history.spare(sample.length);
    if (this.predictX0) originalFromVpInto(converted, this.config.prediction_type, modelOutput, sample, alpha, sigma);
    else epsilonFromVpInto(converted, this.config.prediction_type, modelOutput, sample, alpha, sigma);
    const lastSample = this.buffer(1, sample.length);
    if (index > 0 && !this.disabledCorrector.has(index - 1) && this.hasLastSample) {
      // The corrected sample replaces the previous one in its buffer (each element reads only its own).
      this.correct(index, converted, lastSample, this.lastOrder, lastSample);
    } else {
      lastSample.set(sample);
    }
    this.hasLastSample = true;
    this.history.push(converted);
    const wanted = this.lowerOrderFinal ? Math.min(this.solverOrder, this.timesteps.length - index) : this.solverOrder;
    const order = Math.min(wanted, this.lowerOrderSteps + 1);
    this.lastOrder = order;
    this.predict(index, lastSample, order, out);
    this.lowerOrderSteps = Math.min(this.lowerOrderSteps + 1, this.solverOrder);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseVpInto(out, original, noise, this.sigmas[index]);
  }

  /** `back` = 0 is the newest stored model output. */
  private newest(back: number): Float32Array {
    return this.history.newest(back);
  }

  /**
   * Shared UniP/UniC coefficients for a step from σ index `from` to `to`, with older points
   * at σ indices `older[k]` (k = 0 is the nearest).
   */
  private coefficients(from: number, to: number, older: number[], order: number): Coefficients {
    const lambdaFrom = lambdaOf(this.sigmas[from]);
    const h = lambdaOf(this.sigmas[to]) - lambdaFrom;
    const rks = older.map((i) => (lambdaOf(this.sigmas[i]) - lambdaFrom) / h);
    const hh = this.predictX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    const bH = this.solverType === 'bh1' ? hh : Math.expm1(hh);
    const extended = [...rks, 1];
    const matrix: number[][] = [];
    const b: number[] = [];
    let hPhiK = hPhi1 / hh - 1;
    let factorial = 1;
    for (let i = 1; i <= order; i++) {
      matrix.push(extended.map((r) => r ** (i - 1)));
      b.push((hPhiK * factorial) / bH);
      factorial *= i + 1;
      hPhiK = hPhiK / hh - 1 / factorial;
    }
    return { rks, hPhi1, bH, matrix, b };
  }

  /** The common first part: σ_t/σ_s·x − α_t·hφ₁·m0 (data) or α_t/α_s·x − σ_t·hφ₁·m0 (noise). */
  private baseTerms(from: number, to: number, x: Float32Array, hPhi1: number): { terms: TermList; scale: number } {
    const target = alphaSigmaOf(this.sigmas[to]);
    const source = alphaSigmaOf(this.sigmas[from]);
    const scale = this.predictX0 ? target.alpha : target.sigma;
    const ratio = this.predictX0 ? target.sigma / source.sigma : target.alpha / source.alpha;
    return { terms: this.terms.clear().add(ratio, x), scale: scale * hPhi1 };
  }

  private predict(index: number, x: Float32Array, order: number, out: Float32Array): void {
    const older = Array.from({ length: order - 1 }, (_, k) => index - (k + 1));
    const c = this.coefficients(index, index + 1, older, order);
    const { terms, scale } = this.baseTerms(index, index + 1, x, c.hPhi1);
    const m0 = this.newest(0);
    let m0Weight = -scale;
    if (order > 1) {
      const rhos = order === 2 ? [0.5] : solveLinearSystem(c.matrix.slice(0, -1).map((row) => row.slice(0, -1)), c.b.slice(0, -1));
      const target = alphaSigmaOf(this.sigmas[index + 1]);
      const weight = -(this.predictX0 ? target.alpha : target.sigma) * c.bH;
      // D1_k = (m_k − m0)/r_k
      for (let k = 0; k < order - 1; k++) {
        const coefficient = (weight * rhos[k]) / c.rks[k];
        terms.add(coefficient, this.newest(k + 1));
        m0Weight -= coefficient;
      }
    }
    terms.add(m0Weight, m0);
    terms.into(out);
  }

  private correct(index: number, modelNow: Float32Array, lastSample: Float32Array, order: number, out: Float32Array): void {
    const older = Array.from({ length: order - 1 }, (_, k) => index - (k + 2));
    const c = this.coefficients(index - 1, index, older, order);
    const { terms, scale } = this.baseTerms(index - 1, index, lastSample, c.hPhi1);
    const m0 = this.newest(0);
    const rhos = order === 1 ? [0.5] : solveLinearSystem(c.matrix, c.b);
    const target = alphaSigmaOf(this.sigmas[index]);
    const weight = -(this.predictX0 ? target.alpha : target.sigma) * c.bH;
    let m0Weight = -scale;
    for (let k = 0; k < order - 1; k++) {
      const coefficient = (weight * rhos[k]) / c.rks[k];
      terms.add(coefficient, this.newest(k + 1));
      m0Weight -= coefficient;
    }
    // D1_t = model_t − m0, weighted by the last ρ.
    const last = weight * rhos[rhos.length - 1];
    terms.add(last, modelNow);
    m0Weight -= last;
    terms.add(m0Weight, m0);
    terms.into(out);
  }
}
