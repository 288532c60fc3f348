/**
 * Seeded Gaussian noise shared by every worker.
 *
 * Why this exists: a render farm must give the same image for the same seed whichever worker,
 * CPU or operating system renders it, so the initial latent noise and the per-step noise of
 * ancestral/SDE samplers cannot come from an unspecified generator.
 *
 * Algorithm (stable contract, changing it changes every seeded image):
 *  1. Uniforms: MT19937 seeded with `init_genrand(seed)`, seed an integer in [0, 2^32-1]. Each
 *     uniform takes two 32-bit outputs a, b and is u = ((a >>> 5) * 2^26 + (b >>> 6)) / 2^53,
 *     in [0, 1) (numpy's `random_sample`).
 *  2. Normals: basic Box-Muller on consecutive uniform pairs (u1, u2):
 *        r = sqrt(-2 ln(1 - u1)),  z0 = r cos(2 pi u2),  z1 = r sin(2 pi u2)
 *     (1 - u1 lies in (0, 1], so the logarithm is finite). z0 is emitted before z1.
 *  3. The stream is one sequence: `randn(3)` then `randn(5)` yields the same eight values as
 *     `randn(8)`; an odd request keeps the unused half of the last pair for the next call.
 *  4. Values are computed in float64 and rounded to float32 when stored.
 * Integer steps are exact everywhere; sqrt is IEEE-exact; ln, cos and sin come from V8's
 * software (fdlibm) implementations, which are bit-identical across the platforms Node runs on.
 */
import { randomInt } from 'node:crypto';
import type { NoiseSource } from '../schedulers/scheduler.js';
import { Mt19937 } from './mt19937.js';

const TWO_PI = 2 * Math.PI;
const MAX_SEED = 0xffffffff;
const UNIFORM_BLOCK = 2048;

class BoxMullerNoise implements NoiseSource {
  private readonly uniforms: Mt19937;
  private spare: number | null = null;
  /** Uniforms drawn ahead in blocks (same sequence), consumed two per normal pair. */
  private readonly uniformBlock = new Float64Array(UNIFORM_BLOCK);

  constructor(seed: number) {
    this.uniforms = new Mt19937(seed);
  }

  randn(count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`randn count must be a non-negative integer, got ${count}`);
    }
    const out = new Float32Array(count);
    this.randnInto(out, 0, count);
    return out;
  }

  randnInto(out: Float32Array, start = 0, end = out.length): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > out.length) {
      throw new RangeError(`randn range [${start}, ${end}) is outside 0..${out.length}`);
    }
    let i = start;
    if (end > start && this.spare !== null) {
      out[i++] = this.spare;
      this.spare = null;
    }
    const block = this.uniformBlock;
    while (i < end) {
      // Whole pairs left in this request (an odd tail keeps its second value as the spare).
      const pairs = Math.min(Math.ceil((end - i) / 2), UNIFORM_BLOCK / 2);
      this.uniforms.fillDoubles(block, 0, 2 * pairs);
      for (let p = 0; p < pairs; p++) {
        const radius = Math.sqrt(-2 * Math.log(1 - block[2 * p]));
        const angle = TWO_PI * block[2 * p + 1];
        out[i++] = radius * Math.cos(angle);
        const second = radius * Math.sin(angle);
        if (i < end) out[i++] = second;
        else this.spare = second;
      }
    }
  }
}

/** A deterministic standard-normal stream for `seed` (integer in [0, 2^32-1]). */
export function createNoise(seed: number): NoiseSource {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
  return new BoxMullerNoise(seed);
}

/** A fresh seed from the operating system's CSPRNG, an integer in [0, 2^32-1]. */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}
