/** What every scheduler shares: the begin index for img2img, argument checks, per-run buffers. */
import type { Scheduler } from './scheduler.js';
import { assertSameLength } from './latents.js';

export abstract class SchedulerBase implements Scheduler {
  abstract readonly timesteps: Float64Array;
  abstract readonly initNoiseSigma: number;
  abstract readonly order: number;
  private begin = 0;
  private readonly buffers: Float32Array[] = [];

  get beginIndex(): number {
    return this.begin;
  }

  /** 0 … timesteps.length; the length itself means nothing is left to run (strength 0). */
  setBeginIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index > this.timesteps.length) {
      throw new RangeError(`begin index ${index} is outside 0..${this.timesteps.length}`);
    }
    this.begin = index;
  }

  /**
   * Schedulers on a VP (alpha) schedule feed the sample unscaled, as diffusers' default does;
   * sigma-based ones (Euler, Heun, DPM2, LMS…) override this with their 1/√(σ²+1) scaling.
   */
  scaleModelInputInto(sample: Float32Array, index: number, out: Float32Array): void {
    this.checkInto(sample, index, out);
    if (out !== sample) out.set(sample);
  }
  abstract stepInto(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void;
  abstract addNoiseInto(original: Float32Array, noise: Float32Array, index: number, out: Float32Array): void;

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    const out = new Float32Array(sample.length);
    this.scaleModelInputInto(sample, index, out);
    return out;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array {
    const out = new Float32Array(sample.length);
    this.stepInto(modelOutput, index, sample, out);
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    const out = new Float32Array(original.length);
    this.addNoiseInto(original, noise, index, out);
    return out;
  }

  protected checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.timesteps.length) {
      throw new RangeError(`timestep index ${index} is outside 0..${this.timesteps.length - 1}`);
    }
  }

  protected checkStep(modelOutput: Float32Array, index: number, sample: Float32Array, out: Float32Array): void {
    this.checkIndex(index);
    assertSameLength(modelOutput, sample, 'model output');
    assertSameLength(out, sample, 'output buffer');
    if (out === modelOutput) throw new RangeError('step output buffer must not be the model output');
  }

  protected checkInto(values: Float32Array, index: number, out: Float32Array): void {
    this.checkIndex(index);
    assertSameLength(out, values, 'output buffer');
  }

  /** Multistep and two-stage samplers forget their history when a run (re)starts. */
  protected startsRun(index: number): boolean {
    return index === this.begin;
  }

  /**
   * Working buffer number `slot` of `length` floats, kept for the scheduler's life: allocated on
   * first use, reused by every later step.
   */
  protected buffer(slot: number, length: number): Float32Array {
    let buffer = this.buffers[slot];
    if (buffer === undefined || buffer.length !== length) {
      buffer = new Float32Array(length);
      this.buffers[slot] = buffer;
    }
    return buffer;
  }
}
