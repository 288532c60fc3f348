/**
 * DPM-Solver++ multistep (Lu et al. 2022), diffusers' DPMSolverMultistepScheduler with
 * algorithm_type `dpmsolver++` (A1111 "DPM++ 2M") or `sde-dpmsolver++` ("DPM++ 2M SDE"), solver
 * order 1–3 (order 3 deterministic only), midpoint or heun second-order update. Steps in
 * λ = log(α_t/σ_t) on data (x̂₀) predictions; the history resets when a run starts.
 */
import type { NoiseScheduleConfig, NoiseSource, SchedulerOptions } from './scheduler.js';
import { SchedulerConfigError } from './errors.js';
import { readBoolean, readChoice, readInteger, readNumber, refuseEnabled, wantsKarras } from './extra-settings.js';
import { combine2Into, combine3Into, combine4Into } from './latents.js';
import { LatentHistory } from './latent-history.js';
import { originalFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';
import { alphaSigmaOf, lambdaOf } from './sigmas.js';
import { addNoiseVpInto, vpSchedule } from './vp-schedule.js';

type Algorithm = 'dpmsolver++' | 'sde-dpmsolver++';

export class DpmSolverMultistepScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly sigmas: Float64Array;
  private readonly algorithm: Algorithm;
  private readonly solverOrder: number;
  private readonly solverType: 'midpoint' | 'heun';
  private readonly lowerOrderFinal: boolean;
  private readonly eulerAtFinal: boolean;
  private readonly finalSigmaZero: boolean;
  private readonly noise: NoiseSource;
  /** x̂₀ of the latest steps, oldest first. */
  private readonly history: LatentHistory;
  private lowerOrderSteps = 0;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
    algorithmOverride?: Algorithm,
  ) {
    super();
    refuseEnabled(config, ['thresholding', 'use_lu_lambdas', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas']);
    readChoice(config, 'variance_type', ['none'], 'none');
    this.algorithm = algorithmOverride ?? readChoice(config, 'algorithm_type', ['dpmsolver++', 'sde-dpmsolver++'], 'dpmsolver++');
    this.solverOrder = readInteger(config, 'solver_order', 2, 1, 3);
    if (this.algorithm === 'sde-dpmsolver++' && this.solverOrder === 3) {
      throw new SchedulerConfigError('sde-dpmsolver++ supports solver_order 1 or 2');
    }
    this.solverType = readChoice(config, 'solver_type', ['midpoint', 'heun'], 'midpoint');
    this.lowerOrderFinal = readBoolean(config, 'lower_order_final', true);
    this.eulerAtFinal = readBoolean(config, 'euler_at_final', false);
    const finalSigma = readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'], 'zero');
    this.finalSigmaZero = finalSigma === 'zero';
    const schedule = vpSchedule(config, {
      steps: options.steps,
      karras: wantsKarras(config, options.karras),
      finalSigma,
      lambdaMinClipped: readNumber(config, 'lambda_min_clipped', Number.NEGATIVE_INFINITY),
      truncateCosineKarrasTimesteps: true,
    });
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.noise = options.noise;
    this.history = new LatentHistory(this.solverOrder);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) {
      this.history.clear();
      this.lowerOrderSteps = 0;
    }
    const count = this.timesteps.length;
    // Few-step runs are unstable at high order near the end, hence the forced lower orders.
    const lowerOrderFinal =
      index === count - 1 && (this.eulerAtFinal || (this.lowerOrderFinal && count < 15) || this.finalSigmaZero);
    const lowerOrderSecond = index === count - 2 && this.lowerOrderFinal && count < 15;
    const { alpha, sigma } = alphaSigmaOf(this.sigmas[index]);
    const original = this.history.spare(sample.length);
    originalFromVpInto(original, this.config.prediction_type, modelOutput, sample, alpha, sigma);
    this.history.push(original);
    let noise: Float32Array | null = null;
    if (this.algorithm === 'sde-dpmsolver++') {
      noise = this.buffer(0, sample.length);
      this.noise.randnInto(noise);
    }
    if (this.solverOrder === 1 || this.lowerOrderSteps < 1 || lowerOrderFinal) this.firstOrder(index, sample, noise, out);
    else if (this.solverOrder === 2 || this.lowerOrderSteps < 2 || lowerOrderSecond) this.secondOrder(index, sample, noise, out);
    else this.thirdOrder(index, sample, out);
    this.lowerOrderSteps = Math.min(this.lowerOrderSteps + 1, this.solverOrder);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseVpInto(out, original, noise, this.sigmas[index]);
  }

  private newest(back: number): Float32Array {
    return this.history.newest(back);
  }

  private firstOrder(index: number, sample: Float32Array, noise: Float32Array | null, out: Float32Array): void {
    const target = alphaSigmaOf(this.sigmas[index + 1]);
    const source = alphaSigmaOf(this.sigmas[index]);
    const h = lambdaOf(this.sigmas[index + 1]) - lambdaOf(this.sigmas[index]);
    const x0 = this.newest(0);
    if (noise === null) {
      return combine2Into(out, target.sigma / source.sigma, sample, -target.alpha * Math.expm1(-h), x0);
    }
    combine3Into(
      out,
      (target.sigma / source.sigma) * Math.exp(-h),
      sample,
      -target.alpha * Math.expm1(-2 * h),
      x0,
      target.sigma * Math.sqrt(-Math.expm1(-2 * h)),
      noise,
    );
  }

  private secondOrder(index: number, sample: Float32Array, noise: Float32Array | null, out: Float32Array): void {
    const target = alphaSigmaOf(this.sigmas[index + 1]);
    const source = alphaSigmaOf(this.sigmas[index]);
    const lambdaT = lambdaOf(this.sigmas[index + 1]);
    const lambda0 = lambdaOf(this.sigmas[index]);
    const lambda1 = lambdaOf(this.sigmas[index - 1]);
    const h = lambdaT - lambda0;
    const r0 = (lambda0 - lambda1) / h;
    const m0 = this.newest(0);
    const m1 = this.newest(1);
    // D1 = (m0 − m1)/r0, folded into the coefficients of m0 and m1.
    const d1 = 1 / r0;
    if (noise === null) {
      const base = -target.alpha * Math.expm1(-h);
      const d1Weight = this.solverType === 'midpoint' ? 0.5 * base : target.alpha * (Math.expm1(-h) / h + 1);
      return combine3Into(out, target.sigma / source.sigma, sample, base + d1Weight * d1, m0, -d1Weight * d1, m1);
    }
    const base = -target.alpha * Math.expm1(-2 * h);
    const d1Weight = this.solverType === 'midpoint' ? 0.5 * base : target.alpha * (-Math.expm1(-2 * h) / (-2 * h) + 1);
    combine4Into(
      out,
      (target.sigma / source.sigma) * Math.exp(-h),
      sample,
      base + d1Weight * d1,
      m0,
      -d1Weight * d1,
      m1,
      target.sigma * Math.sqrt(-Math.expm1(-2 * h)),
      noise,
    );
  }

  private thirdOrder(index: number, sample: Float32Array, out: Float32Array): void {
    const target = alphaSigmaOf(this.sigmas[index + 1]);
    const source = alphaSigmaOf(this.sigmas[index]);
    const lambdaT = lambdaOf(this.sigmas[index + 1]);
    const lambda0 = lambdaOf(this.sigmas[index]);
    const lambda1 = lambdaOf(this.sigmas[index - 1]);
    const lambda2 = lambdaOf(this.sigmas[index - 2]);
    const h = lambdaT - lambda0;
    const r0 = (lambda0 - lambda1) / h;
    const r1 = (lambda1 - lambda2) / h;
    const m0 = this.newest(0);
    const m1 = this.newest(1);
    const m2 = this.newest(2);
    // D1_0 = (m0−m1)/r0, D1_1 = (m1−m2)/r1, D1 = D1_0 + r0/(r0+r1)·(D1_0−D1_1), D2 = (D1_0−D1_1)/(r0+r1).
    const c0 = -target.alpha * Math.expm1(-h);
    const c1 = target.alpha * (Math.expm1(-h) / h + 1);
    const c2 = -target.alpha * ((Math.expm1(-h) + h) / (h * h) - 0.5);
    const dWeight = c1 * (r0 / (r0 + r1)) + c2 / (r0 + r1);
    // x = σt/σs·x + c0·m0 + c1·D1_0 + dWeight·(D1_0 − D1_1)
    const d10 = c1 + dWeight;
    const d11 = -dWeight;
    combine4Into(out, target.sigma / source.sigma, sample, c0 + d10 / r0, m0, -d10 / r0 + d11 / r1, m1, -d11 / r1, m2);
  }
}
