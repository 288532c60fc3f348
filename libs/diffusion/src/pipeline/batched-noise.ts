import { createNoise } from '../random/index.js';
import type { NoiseSource } from '../schedulers/scheduler.js';

/**
 * One generator per image, so image k of a batch draws exactly the numbers it would draw alone:
 * `samples: 4` reproduces `samples: 1` with seed+k. A request for `count` values over the
 * whole batch takes count/batch values from each image's generator, in batch order.
 */
export class BatchedNoise implements NoiseSource {
  private readonly sources: NoiseSource[];

  constructor(seeds: readonly number[]) {
    this.sources = seeds.map((seed) => createNoise(seed));
  }

  randn(count: number): Float32Array {
    const per = count / this.sources.length;
    if (!Number.isInteger(per)) throw new RangeError(`noise request of ${count} values does not split over ${this.sources.length} images`);
    const out = new Float32Array(count);
    this.sources.forEach((source, index) => out.set(source.randn(per), index * per));
    return out;
  }
}
