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
import { MT19937_STATE_WORDS, Mt19937, seedMt19937State } from './mt19937.js';

const TWO_PI = 2 * Math.PI;
const MAX_SEED = 0xffffffff;
const UNIFORM_BLOCK = 2048;
/** Int32 word after the MT19937 state: 1 while the second value of the last pair waits as the spare. */
const HAS_SPARE = MT19937_STATE_WORDS;
/** Byte offset of the spare (a float64) in a stream's state; 8-byte aligned. */
const SPARE_OFFSET = Math.ceil(((MT19937_STATE_WORDS + 1) * 4) / 8) * 8;

/**
 * Bytes of one stream's whole state (MT19937 words and position, the spare flag and value): a
 * stream can live in a SharedArrayBuffer and be advanced by whichever thread holds it.
 */
export const NORMAL_STREAM_STATE_BYTES = SPARE_OFFSET + 8;

/** Writes the state of a fresh stream for `seed` into buffer[byteOffset, byteOffset + NORMAL_STREAM_STATE_BYTES). */
export function seedNormalStream(buffer: ArrayBufferLike, seed: number, byteOffset = 0): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
  const words = new Int32Array(buffer, byteOffset, MT19937_STATE_WORDS + 1);
  seedMt19937State(words, seed);
  words[HAS_SPARE] = 0;
}

/** Box–Muller normals over a stream state held in `buffer` (seeded by seedNormalStream). */
export class BoxMullerNoise implements NoiseSource {
  private readonly uniforms: Mt19937;
  private readonly words: Int32Array;
  private readonly spare: Float64Array;
  /** Uniforms drawn ahead in blocks (same sequence), consumed two per normal pair; scratch, not state. */
  private readonly uniformBlock = new Float64Array(UNIFORM_BLOCK);

  constructor(buffer: ArrayBufferLike, byteOffset = 0) {
    this.words = new Int32Array(buffer, byteOffset, MT19937_STATE_WORDS + 1);
    this.spare = new Float64Array(buffer, byteOffset + SPARE_OFFSET, 1);
    this.uniforms = Mt19937.over(this.words);
  }

  randn(count: number): Float32Array {
    return randnByInto(this, count);
  }

  randnInto(out: Float32Array, start = 0, end = out.length): void {
    assertRandnRange(out, start, end);
    let i = start;
    const words = this.words;
    if (end > start && words[HAS_SPARE] === 1) {
      out[i++] = this.spare[0];
      words[HAS_SPARE] = 0;
    }
    const block = this.uniformBlock;
    while (i < end) {
      // Whole pairs that fit in this request; an odd tail is handled after the loop.
      const whole = Math.min((end - i) >> 1, UNIFORM_BLOCK / 2);
      if (whole === 0) {
        // One value left: draw a pair, keep its second value as the spare.
        this.uniforms.fillDoubles(block, 0, 2);
        const radius = Math.sqrt(-2 * Math.log(1 - block[0]));
        const angle = TWO_PI * block[1];
        out[i] = radius * Math.cos(angle);
        this.spare[0] = radius * Math.sin(angle);
        words[HAS_SPARE] = 1;
        break;
      }
      this.uniforms.fillDoubles(block, 0, 2 * whole);
      for (let p = 0; p < 2 * whole; p += 2) {
        const radius = Math.sqrt(-2 * Math.log(1 - block[p]));
        const angle = TWO_PI * block[p + 1];
        out[i] = radius * Math.cos(angle);
        out[i + 1] = radius * Math.sin(angle);
        i += 2;
      }
    }
  }
}

/** A deterministic standard-normal stream for `seed` (integer in [0, 2^32-1]). */
export function createNoise(seed: number): NoiseSource {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  }
  const state = new ArrayBuffer(NORMAL_STREAM_STATE_BYTES);
  seedNormalStream(state, seed);
  return new BoxMullerNoise(state);
}

/** A fresh seed from the operating system's CSPRNG, an integer in [0, 2^32-1]. */
export function randomSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}

/** `randn(count)` of any stream, through its `randnInto` (one check of the count for all streams). */
export function randnByInto(stream: { randnInto(out: Float32Array, start: number, end: number): void }, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`randn count must be a non-negative integer, got ${count}`);
  }
  const out = new Float32Array(count);
  stream.randnInto(out, 0, count);
  return out;
}

/** The range check every stream's `randnInto` makes before writing `out[start, end)`. */
export function assertRandnRange(out: Float32Array, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > out.length) {
    throw new RangeError(`randn range [${start}, ${end}) is outside 0..${out.length}`);
  }
}
