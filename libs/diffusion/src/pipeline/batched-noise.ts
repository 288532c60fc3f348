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
    const out = new Float32Array(count);
    this.randnInto(out, 0, count);
    return out;
  }

  randnInto(out: Float32Array, start = 0, end = out.length): void {
    const per = (end - start) / this.sources.length;
    if (!Number.isInteger(per)) throw new RangeError(`noise request of ${end - start} values does not split over ${this.sources.length} images`);
    for (let index = 0; index < this.sources.length; index++) this.sources[index].randnInto(out, start + index * per, start + (index + 1) * per);
  }
}
