/**
 * PNDM (Liu et al. 2022), diffusers' PNDMScheduler: pseudo linear multistep on ε with the
 * "transfer" step φ from t to t_prev. With skip_prk_steps (Stable Diffusion's setting) the first
 * step is a Heun-like warm-up that evaluates the second timestep twice, hence the repeated entry
 * in [t0, t1, t1, t2, …]; without it, 12 Runge–Kutta evaluations warm up a 4th-order history.
 * The state machine follows diffusers' counter exactly (including which raw outputs are
 * combined before the v→ε conversion), because golden references depend on it.
 */
import type { NoiseScheduleConfig, SchedulerOptions } from './scheduler.js';
import { alphasCumprod } from './alphas.js';
import { addNoiseDiscreteInto, alphaAt, finalAlphaCumprod } from './discrete-schedule.js';
import { SchedulerConfigError } from './errors.js';
import { readBoolean } from './extra-settings.js';
import { combine2Into, combine3Into, combine4Into } from './latents.js';
import { LatentHistory } from './latent-history.js';
import { SchedulerBase } from './scheduler-base.js';
import { discreteTimesteps } from './spacing.js';

const PNDM_ORDER = 4;

export class PndmScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  private readonly alphas: Float64Array;
  private readonly finalAlpha: number;
  private readonly stride: number;
  private readonly prkCount: number;
  private counter = 0;
  /** Raw model outputs kept for the multistep formula, oldest first (diffusers' `ets`). */
  private readonly ets = new LatentHistory(PNDM_ORDER);
  private hasCurrentSample = false;

  constructor(
    private readonly config: NoiseScheduleConfig,
    options: SchedulerOptions,
  ) {
    super();
    if (config.prediction_type === 'sample') throw new SchedulerConfigError('PNDM supports prediction_type epsilon or v_prediction');
    this.alphas = alphasCumprod(config);
    this.finalAlpha = finalAlphaCumprod(config, this.alphas);
    this.stride = Math.floor(config.num_train_timesteps / options.steps);
    const ascending = discreteTimesteps({
      spacing: config.timestep_spacing,
      trainTimesteps: config.num_train_timesteps,
      steps: options.steps,
      stepsOffset: config.steps_offset,
    }).reverse();
    const n = ascending.length;
    if (readBoolean(config, 'skip_prk_steps', false)) {
      this.prkCount = 0;
      const plms = [...ascending.subarray(0, n - 1), ...ascending.subarray(Math.max(0, n - 2), n - 1), ascending[n - 1]];
      this.timesteps = Float64Array.from(plms.reverse());
    } else {
      if (n < PNDM_ORDER) throw new SchedulerConfigError(`PNDM Runge–Kutta warm-up needs at least ${PNDM_ORDER} steps`);
      const half = Math.floor(this.stride / 2);
      // The last four timesteps, each followed by its half-step, then every entry but the ends doubled.
      const pairs = Array.from(ascending.subarray(n - PNDM_ORDER)).flatMap((t) => [t, t + half]).slice(0, -1);
      const prk = pairs.flatMap((t) => [t, t]).slice(1, -1).reverse();
      this.prkCount = prk.length;
      this.timesteps = Float64Array.from([...prk, ...Array.from(ascending.subarray(0, n - 3)).reverse()]);
    }
  }

  stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkStep(modelOutput, index, sample, out);
    if (this.startsRun(index)) {
      this.counter = 0;
      this.ets.clear();
      this.hasCurrentSample = false;
    }
    if (this.counter < this.prkCount) this.stepRungeKutta(modelOutput, index, sample, out);
    else this.stepLinearMultistep(modelOutput, index, sample, out);
    this.counter++;
  }

  addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(original, index, out);
    addNoiseDiscreteInto(out, original, noise, this.alphas[this.timesteps[index]]);
  }

  /** diffusers' `cur_sample`: the sample a multi-evaluation step started from (buffer 1). */
  private keepCurrentSample(sample: Float32Array): void {
    this.buffer(1, sample.length).set(sample);
    this.hasCurrentSample = true;
  }

  /** The kept start sample, copied into `out` when it is `sample` itself, or `sample` if none is kept. */
  private startSample(sample: Float32Array): Float32Array {
    return this.hasCurrentSample ? this.buffer(1, sample.length) : sample;
  }

  private stepRungeKutta(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    const half = Math.floor(this.stride / 2);
    const prevTimestep = this.timesteps[index] - (this.counter % 2 ? 0 : half);
    const timestep = this.timesteps[Math.floor(this.counter / 4) * 4 + (index - this.counter)];
    // diffusers' running RK sum: the 1/6, 1/3, 1/3 weighted outputs of stages 0–2 (buffers 2–4).
    let output = modelOutput;
    switch (this.counter % 4) {
      case 0: {
        this.buffer(2, sample.length).set(modelOutput);
        const kept = this.ets.spare(sample.length);
        kept.set(modelOutput);
        this.ets.push(kept);
        this.keepCurrentSample(sample);
        break;
      }
      case 1:
        this.buffer(3, sample.length).set(modelOutput);
        break;
      case 2:
        this.buffer(4, sample.length).set(modelOutput);
        break;
      case 3:
        output = this.buffer(0, sample.length);
        combine4Into(output, 1 / 6, this.buffer(2, sample.length), 1 / 3, this.buffer(3, sample.length), 1 / 3, this.buffer(4, sample.length), 1 / 6, modelOutput);
        break;
    }
    this.transfer(this.startSample(sample), timestep, prevTimestep, output, out);
  }

  private stepLinearMultistep(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    let timestep = this.timesteps[index];
    let prevTimestep = timestep - this.stride;
    if (this.counter !== 1) {
      const kept = this.ets.spare(sample.length);
      kept.set(modelOutput);
      this.ets.push(kept);
    } else {
      // Second evaluation at the repeated timestep: redo the first step from its start.
      prevTimestep = timestep;
      timestep = timestep + this.stride;
    }
    const ets = this.ets;
    const e = (back: number): Float32Array => ets.newest(back);
    let output = this.buffer(0, sample.length);
    let start = sample;
    if (ets.length === 1 && this.counter === 0) {
      output = modelOutput;
      this.keepCurrentSample(sample);
    } else if (ets.length === 1 && this.counter === 1) {
      combine2Into(output, 0.5, modelOutput, 0.5, e(0));
      start = this.startSample(sample);
      this.hasCurrentSample = false;
    } else if (ets.length === 2) {
      combine2Into(output, 1.5, e(0), -0.5, e(1));
    } else if (ets.length === 3) {
      combine3Into(output, 23 / 12, e(0), -16 / 12, e(1), 5 / 12, e(2));
    } else {
      combine4Into(output, 55 / 24, e(0), -59 / 24, e(1), 37 / 24, e(2), -9 / 24, e(3));
    }
    this.transfer(start, timestep, prevTimestep, output, out);
  }

  /** PNDM's φ: moves `sample` from `timestep` to `prevTimestep` given an ε (or v) estimate, into `out`. */
  private transfer(sample: Float32Array, timestep: number, prevTimestep: number, output: Float32Array, out: Float32Array): void {
    const alphaProd = this.alphas[timestep];
    const alphaPrev = alphaAt(this.alphas, prevTimestep, this.finalAlpha);
    const betaProd = 1 - alphaProd;
    const betaPrev = 1 - alphaPrev;
    const sampleCoefficient = Math.sqrt(alphaPrev / alphaProd);
    const denominator = alphaProd * Math.sqrt(betaPrev) + Math.sqrt(alphaProd * betaProd * alphaPrev);
    const outputCoefficient = -(alphaPrev - alphaProd) / denominator;
    if (this.config.prediction_type === 'v_prediction') {
      // ε = √ᾱ·v + √(1−ᾱ)·x, with x the sample being transferred.
      return combine2Into(out, sampleCoefficient + outputCoefficient * Math.sqrt(betaProd), sample, outputCoefficient * Math.sqrt(alphaProd), output);
    }
    combine2Into(out, sampleCoefficient, sample, outputCoefficient, output);
  }
}
