/** What every scheduler shares: the begin index for img2img and argument checks. */
import type { Scheduler } from './scheduler.js';
import { assertSameLength } from './latents.js';

export abstract class SchedulerBase implements Scheduler {
  abstract readonly timesteps: Float64Array;
  abstract readonly initNoiseSigma: number;
  abstract readonly order: number;
  private begin = 0;

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

  abstract scaleModelInput(sample: Float32Array, index: number): Float32Array;
  abstract step(modelOutput: Float32Array, index: number, sample: Float32Array): Float32Array;
  abstract addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array;

  protected checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.timesteps.length) {
      throw new RangeError(`timestep index ${index} is outside 0..${this.timesteps.length - 1}`);
    }
  }

  protected checkStep(modelOutput: Float32Array, index: number, sample: Float32Array): void {
    this.checkIndex(index);
    assertSameLength(modelOutput, sample, 'model output');
  }

  /** Multistep and two-stage samplers forget their history when a run (re)starts. */
  protected startsRun(index: number): boolean {
    return index === this.begin;
  }
}
