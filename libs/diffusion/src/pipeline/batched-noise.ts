import { createNoise } from '../random/index.js';
import { PrefetchedNoise, emptyPrefetchStats, type PrefetchStats } from '../random/prefetched-noise.js';
import type { NoiseSource } from '../schedulers/scheduler.js';

export interface BatchedNoiseOptions {
  /**
   * Draw each image's next chunk ahead on the noise thread (prefetched-noise.ts): for samplers
   * that draw noise every step. Same values either way.
   */
  readonly prefetch?: boolean;
}

/**
 * One generator per image, so image k of a batch draws exactly the numbers it would draw alone:
 * `samples: 4` reproduces `samples: 1` with seed+k. A request for `count` values over the
 * whole batch takes count/batch values from each image's generator, in batch order.
 */
export class BatchedNoise implements NoiseSource {
  private readonly sources: NoiseSource[];
  private readonly prefetched: PrefetchedNoise[];

  constructor(seeds: readonly number[], options: BatchedNoiseOptions = {}) {
    this.prefetched = options.prefetch ? seeds.map((seed) => new PrefetchedNoise(seed)) : [];
    this.sources = options.prefetch ? this.prefetched : seeds.map((seed) => createNoise(seed));
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

  /** How the chunks drawn ahead were used, over every image (all zero without prefetch). */
  prefetchStats(): PrefetchStats {
    const total = emptyPrefetchStats();
    for (const source of this.prefetched) {
      total.requested += source.stats.requested;
      total.ready += source.stats.ready;
      total.waited += source.stats.waited;
      total.waitedMs += source.stats.waitedMs;
      total.drawnInline += source.stats.drawnInline;
    }
    return total;
  }

  /** Stops drawing ahead (end of the run, canceled or failed); the noise thread forgets these streams. */
  close(): void {
    for (const source of this.prefetched) source.close();
  }
}
