/**
 * A Brownian motion W(σ) sampled lazily at the noise levels an SDE sampler asks about.
 *
 * k-diffusion's DPM++ SDE draws its noise from a torchsde Brownian *tree* so that increments
 * over overlapping intervals (σ→σ_mid, then σ→σ_next) are correlated exactly as a Brownian motion
 * requires. This reproduces that joint law without the tree: each new point is drawn conditionally
 * on the known ones (an independent Gaussian step beyond the ends, a Brownian bridge in between),
 * using the seeded NoiseSource. The values differ from torchsde's for the same seed (its tree is
 * tied to torch's generator); the distribution is the same. Queries are expected to move down in
 * σ from one step to the next, as every sampler's do (see forgetAbove).
 */
import type { NoiseSource } from './scheduler.js';

interface KnownPoint {
  time: number;
  readonly value: Float64Array;
}

export class BrownianPath {
  /** Sorted by time. */
  private readonly points: KnownPoint[] = [];
  /** Points dropped by forgetAbove, reused (with their value buffers) for later queries. */
  private readonly free: KnownPoint[] = [];
  private readonly z: Float32Array;

  constructor(
    private readonly noise: NoiseSource,
    private readonly size: number,
  ) {
    this.z = new Float32Array(size);
  }

  /** (W(to) − W(from)) / √|to − from|: standard normal per element, correlated across calls. */
  normalizedIncrement(from: number, to: number): Float32Array {
    const out = new Float32Array(this.size);
    this.normalizedIncrementInto(from, to, out);
    return out;
  }

  /** `normalizedIncrement` into `out`. */
  normalizedIncrementInto(from: number, to: number, out: Float32Array): void {
    const start = this.valueAt(from);
    const end = this.valueAt(to);
    const scale = 1 / Math.sqrt(Math.abs(to - from));
    for (let i = 0; i < this.size; i++) out[i] = (end[i] - start[i]) * scale;
    this.forgetAbove(Math.max(from, to));
  }

  /**
   * Samplers only move down in σ, so points above the latest interval are never read again;
   * dropping them keeps memory at a few latents instead of two per step.
   */
  private forgetAbove(time: number): void {
    while (this.points.length > 0 && this.points[this.points.length - 1].time > time) this.free.push(this.points.pop() as KnownPoint);
  }

  private valueAt(time: number): Float64Array {
    const points = this.points;
    let insertAt = 0;
    while (insertAt < points.length && points[insertAt].time < time) insertAt++;
    if (insertAt < points.length && points[insertAt].time === time) return points[insertAt].value;
    const z = this.z;
    this.noise.randnInto(z, 0, this.size);
    const point = this.free.pop() ?? { time, value: new Float64Array(this.size) };
    point.time = time;
    const value = point.value;
    const before = points[insertAt - 1];
    const after = points[insertAt];
    if (before === undefined && after === undefined) {
      // The first point anchors the path; only differences are ever used.
      value.fill(0);
    } else if (before === undefined || after === undefined) {
      const anchor = before ?? after;
      const deviation = Math.sqrt(Math.abs(time - anchor.time));
      for (let i = 0; i < this.size; i++) value[i] = anchor.value[i] + deviation * z[i];
    } else {
      const span = after.time - before.time;
      const weight = (time - before.time) / span;
      const deviation = Math.sqrt(((time - before.time) * (after.time - time)) / span);
      for (let i = 0; i < this.size; i++) {
        value[i] = before.value[i] + weight * (after.value[i] - before.value[i]) + deviation * z[i];
      }
    }
    points.splice(insertAt, 0, point);
    return value;
  }
}
