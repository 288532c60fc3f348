/**
 * Single-step DPM-Solver++ (Lu et al. 2022), diffusers' DPMSolverSinglestepScheduler with
 * algorithm_type `dpmsolver++`: deterministic, solver order 1–3, midpoint or heun updates, on
 * data (x̂₀) predictions in λ = log(α_t/σ_t).
 *
 * Unlike the multistep solver, a k-th order step does not reuse history from earlier *steps*: the
 * timesteps are grouped by the order list (e.g. 1, 2, 1, 2, … for order 2), the group's first
 * entry is a first-order step that also records its start sample, and the group's later entries
 * evaluate the model at the intermediate points and redo the whole jump from that recorded start
 * with all the group's x̂₀. Each entry is one model evaluation, so `order` is 1 for the pipeline.
 *
 * diffusers' class has no `timestep_spacing`: it always spaces n+1 points over the (λ-clipped)
 * training range and drops t = 0, whatever the source config said.
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { SchedulerConfigError } from './errors.js';
import { readBoolean, readChoice, readInteger, readNumber, refuseEnabled, wantsKarras } from './extra-settings.js';
import { combine2Into, combine3Into, combine4Into } from './latents.js';
import { LatentHistory } from './latent-history.js';
import { originalFromVpInto } from './prediction.js';
import { SchedulerBase } from './scheduler-base.js';
import { alphaSigmaOf, lambdaOf } from './sigmas.js';
import { singlestepOrderList } from './singlestep-orders.js';
import { addNoiseVpInto, vpSchedule } from './vp-schedule.js';

/** Working buffer slot holding the sample the current order group started from. */
const GROUP_START = 0;

export class DpmSolverSinglestepScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  /** The solver order used at each timesteps entry (diffusers' `order_list`). */
  readonly orders: Uint8Array;
  private readonly sigmas: Float64Array;
  /** Per σ entry: α_t, σ_t and λ, computed once so that a step creates no objects. */
  private readonly alphaT: Float64Array;
  private readonly sigmaT: Float64Array;
  private readonly lambda: Float64Array;
  private readonly solverType: 'midpoint' | 'heun';
  /** x̂₀ of the latest evaluations, oldest first. */
  private readonly history: LatentHistory;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    refuseEnabled(config, ['thresholding', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas', 'use_dynamic_shifting']);
    readChoice(config, 'variance_type', ['none'], 'none');
    // `dpmsolver` (deprecated, noise prediction) and the stochastic `sde-dpmsolver++` are not ported.
    readChoice(config, 'algorithm_type', ['dpmsolver++'], 'dpmsolver++');
    const solverOrder = readInteger(config, 'solver_order', 2, 1, 3);
    this.solverType = readChoice(config, 'solver_type', ['midpoint', 'heun'], 'midpoint');
    const finalSigma = readChoice(config, 'final_sigmas_type', ['zero', 'sigma_min'], 'zero');
    const schedule = vpSchedule(
      { ...config, timestep_spacing: 'linspace', steps_offset: 0 },
      {
        steps: options.steps,
        karras: wantsKarras(config, options.karras),
        finalSigma,
        lambdaMinClipped: readNumber(config, 'lambda_min_clipped', Number.NEGATIVE_INFINITY),
      },
    );
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.alphaT = this.sigmas.map((s) => alphaSigmaOf(s).alpha);
    this.sigmaT = this.sigmas.map((s) => alphaSigmaOf(s).sigma);
    this.lambda = this.sigmas.map(lambdaOf);
    this.orders = singlestepOrderList({
      steps: options.steps,
      solverOrder,
      lowerOrderFinal: readBoolean(config, 'lower_order_final', false),
      finalSigmaZero: finalSigma === 'zero',
    });
    if (this.orders.length !== this.timesteps.length) {
      throw new SchedulerConfigError(`order list has ${this.orders.length} entries for ${this.timesteps.length} timesteps`);
    }
    this.history = new LatentHistory(solverOrder);
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) this.history.clear();
    const original = this.history.spare(sample.length);
    originalFromVpInto(original, this.config.prediction_type, modelOutput, sample, this.alphaT[index], this.sigmaT[index]);
    this.history.push(original);
    // A run started part-way (img2img) has fewer evaluations than its group's order asks for.
    const order = Math.min(this.orders[index], this.history.length);
    const start = this.buffer(GROUP_START, sample.length);
    if (order === 1) start.set(sample);
    if (order === 1) this.firstOrder(index, start, out);
    else if (order === 2) this.secondOrder(index, start, out);
    else this.thirdOrder(index, start, out);
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseVpInto(out, original, noise, this.sigmas[index]);
  }

  /** From the sample at σ[index] to σ[index+1] with the newest x̂₀. */
  private firstOrder(index: number, start: Float32Array, out: Float32Array): void {
    const h = this.lambda[index + 1] - this.lambda[index];
    const alpha = this.alphaT[index + 1];
    combine2Into(out, this.sigmaT[index + 1] / this.sigmaT[index], start, -alpha * Math.expm1(-h), this.history.newest(0));
  }

  /** From the group start at σ[index−1] to σ[index+1], with x̂₀ at σ[index−1] (m1) and σ[index] (m0). */
  private secondOrder(index: number, start: Float32Array, out: Float32Array): void {
    const alpha = this.alphaT[index + 1];
    const h = this.lambda[index + 1] - this.lambda[index - 1];
    const r0 = (this.lambda[index] - this.lambda[index - 1]) / h;
    // x = σt/σs1·x + base·D0 + w·D1 with D0 = m1, D1 = (m0 − m1)/r0, folded into m0 and m1.
    const base = -alpha * Math.expm1(-h);
    const w = this.solverType === 'midpoint' ? 0.5 * base : alpha * (Math.expm1(-h) / h + 1);
    const decay = this.sigmaT[index + 1] / this.sigmaT[index - 1];
    combine3Into(out, decay, start, w / r0, this.history.newest(0), base - w / r0, this.history.newest(1));
  }

  /** From the group start at σ[index−2] to σ[index+1], with the group's three x̂₀ (m2 oldest). */
  private thirdOrder(index: number, start: Float32Array, out: Float32Array): void {
    const alpha = this.alphaT[index + 1];
    const lambda2 = this.lambda[index - 2];
    const h = this.lambda[index + 1] - lambda2;
    const r0 = (this.lambda[index] - lambda2) / h;
    const r1 = (this.lambda[index - 1] - lambda2) / h;
    const c0 = -alpha * Math.expm1(-h);
    const c1 = alpha * (Math.expm1(-h) / h + 1);
    const c2 = -alpha * ((Math.expm1(-h) + h) / (h * h) - 0.5);
    // With D1_0 = (m1 − m2)/r1 and D1_1 = (m0 − m2)/r0: midpoint adds c1·D1_1; heun adds c1·D1 + c2·D2,
    // D1 = (r0·D1_0 − r1·D1_1)/(r0 − r1), D2 = 2·(D1_1 − D1_0)/(r0 − r1). k0, k1 weigh D1_0, D1_1.
    const k0 = this.solverType === 'midpoint' ? 0 : (c1 * r0 - 2 * c2) / (r0 - r1);
    const k1 = this.solverType === 'midpoint' ? c1 : (2 * c2 - c1 * r1) / (r0 - r1);
    const m0 = this.history.newest(0);
    const m1 = this.history.newest(1);
    const m2 = this.history.newest(2);
    combine4Into(out, this.sigmaT[index + 1] / this.sigmaT[index - 2], start, k1 / r0, m0, k0 / r1, m1, c0 - k0 / r1 - k1 / r0, m2);
  }
}
