/**
 * DEIS multistep (Zhang & Chen 2022), diffusers' DEISMultistepScheduler with algorithm `deis`
 * and the `logrho` solver: an exponential integrator in ρ = σ_t/α_t that extrapolates the noise
 * prediction by a Lagrange polynomial in log ρ (orders 1–3). It stops at σ_min (diffusers has no
 * final σ = 0 for it), so the result keeps the tiny σ(t=0) of noise, as in diffusers.
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { readBoolean, readChoice, readInteger, refuseEnabled, wantsKarras } from './extra-settings.js';
import { combine2Into, combine3Into, combine4Into } from './latents.js';
import { LatentHistory } from './latent-history.js';
import { epsilonFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';
import { alphaSigmaOf, lambdaOf } from './sigmas.js';
import { addNoiseVpInto, vpSchedule } from './vp-schedule.js';

/** ∫ (log τ − log c)/(log b − log c) dτ, the order-2 Lagrange basis in log ρ. */
function basisIntegral2(t: number, b: number, c: number): number {
  return (t * (-Math.log(c) + Math.log(t) - 1)) / (Math.log(b) - Math.log(c));
}

/** ∫ (log τ − log c)(log τ − log d)/((log b − log c)(log b − log d)) dτ, order 3. */
function basisIntegral3(t: number, b: number, c: number, d: number): number {
  const [lt, lc, ld] = [Math.log(t), Math.log(c), Math.log(d)];
  const numerator = t * (lc * (ld - lt + 1) - ld * lt + ld + lt * lt - 2 * lt + 2);
  return numerator / ((Math.log(b) - lc) * (Math.log(b) - ld));
}

export class DeisScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly sigmas: Float64Array;
  private readonly solverOrder: number;
  private readonly lowerOrderFinal: boolean;
  /** ε predictions of the latest steps, oldest first. */
  private readonly history: LatentHistory;
  private lowerOrderSteps = 0;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseEnabled(config, ['thresholding', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas']);
    readChoice(config, 'algorithm_type', ['deis'], 'deis');
    readChoice(config, 'solver_type', ['logrho'], 'logrho');
    this.solverOrder = readInteger(config, 'solver_order', 2, 1, 3);
    this.lowerOrderFinal = readBoolean(config, 'lower_order_final', true);
    const schedule = vpSchedule(config, { steps: options.steps, karras: wantsKarras(config, options.karras), finalSigma: 'sigma_min' });
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.history = new LatentHistory(this.solverOrder);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) {
      this.history.clear();
      this.lowerOrderSteps = 0;
    }
    const count = this.timesteps.length;
    const lowerOrderFinal = index === count - 1 && this.lowerOrderFinal && count < 15;
    const lowerOrderSecond = index === count - 2 && this.lowerOrderFinal && count < 15;
    const { alpha, sigma } = alphaSigmaOf(this.sigmas[index]);
    const epsilon = this.history.spare(sample.length);
    epsilonFromVpInto(epsilon, this.config.prediction_type, modelOutput, sample, alpha, sigma);
    this.history.push(epsilon);
    let order = 3;
    if (this.solverOrder === 1 || this.lowerOrderSteps < 1 || lowerOrderFinal) order = 1;
    else if (this.solverOrder === 2 || this.lowerOrderSteps < 2 || lowerOrderSecond) order = 2;
    this.lowerOrderSteps = Math.min(this.lowerOrderSteps + 1, this.solverOrder);
    this.update(index, sample, order, out);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseVpInto(out, original, noise, this.sigmas[index]);
  }

  private newest(back: number): Float32Array {
    return this.history.newest(back);
  }

  private update(index: number, sample: Float32Array, order: number, out: Float32Array): void {
    const target = alphaSigmaOf(this.sigmas[index + 1]);
    const source = alphaSigmaOf(this.sigmas[index]);
    if (order === 1) {
      const h = lambdaOf(this.sigmas[index + 1]) - lambdaOf(this.sigmas[index]);
      return combine2Into(out, target.alpha / source.alpha, sample, -target.sigma * Math.expm1(h), this.newest(0));
    }
    // ρ = σ_t/α_t equals the Karras σ itself.
    const rhoT = this.sigmas[index + 1];
    const rho0 = this.sigmas[index];
    const rho1 = this.sigmas[index - 1];
    // x_t = α_t·(x/α_s + Σ coefᵢ·mᵢ)
    if (order === 2) {
      const c0 = basisIntegral2(rhoT, rho0, rho1) - basisIntegral2(rho0, rho0, rho1);
      const c1 = basisIntegral2(rhoT, rho1, rho0) - basisIntegral2(rho0, rho1, rho0);
      return combine3Into(out, target.alpha / source.alpha, sample, target.alpha * c0, this.newest(0), target.alpha * c1, this.newest(1));
    }
    const rho2 = this.sigmas[index - 2];
    const c0 = basisIntegral3(rhoT, rho0, rho1, rho2) - basisIntegral3(rho0, rho0, rho1, rho2);
    const c1 = basisIntegral3(rhoT, rho1, rho2, rho0) - basisIntegral3(rho0, rho1, rho2, rho0);
    const c2 = basisIntegral3(rhoT, rho2, rho0, rho1) - basisIntegral3(rho0, rho2, rho0, rho1);
    combine4Into(out, target.alpha / source.alpha, sample, target.alpha * c0, this.newest(0), target.alpha * c1, this.newest(1), target.alpha * c2, this.newest(2));
  }
}
