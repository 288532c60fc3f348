/**
 * MT19937, the 32-bit Mersenne Twister of Matsumoto & Nishimura (1998), seeded with the reference
 * `init_genrand` routine. Chosen because it is fully specified by integer arithmetic, so every
 * worker on every platform produces the same bits for the same seed, and because it is the
 * generator numpy's legacy `RandomState` uses, which makes sequences easy to cross-check.
 *
 * The state words are kept in an Int32Array (the same bits as the reference's uint32 words):
 * every operation is bitwise, and signed 32-bit values stay in V8's fast integer representation,
 * where uint32 words above 2^31 fall back to doubles (4–7× slower state regeneration).
 * The state can live in caller-provided memory (a SharedArrayBuffer), so that a noise stream can
 * be advanced by whichever thread holds it (see prefetched-noise.ts).
 */
const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const SPLIT = STATE_SIZE - SHIFT_SIZE;
const MATRIX_A = 0x9908b0df | 0;
const UPPER_MASK = 0x80000000 | 0;
const LOWER_MASK = 0x7fffffff;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;
/** Where the read position is kept in the state array, after the 624 words. */
const POSITION = STATE_SIZE;

/** Int32 words a generator's state occupies (624 words and the read position). */
export const MT19937_STATE_WORDS = STATE_SIZE + 1;

/** Writes the `init_genrand(seed)` state into `state` (MT19937_STATE_WORDS words). */
export function seedMt19937State(state: Int32Array, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32-1], got ${seed}`);
  }
  if (state.length < MT19937_STATE_WORDS) throw new RangeError(`MT19937 state needs ${MT19937_STATE_WORDS} words, got ${state.length}`);
  state[0] = seed | 0;
  for (let i = 1; i < STATE_SIZE; i++) {
    const previous = state[i - 1] ^ (state[i - 1] >>> 30);
    // 1812433253 * previous + i, modulo 2^32, without losing bits to float rounding.
    state[i] = (Math.imul(1812433253, previous) + i) | 0;
  }
  state[POSITION] = STATE_SIZE;
}

/** The reference generation step, with the wrap-around split out of the loop instead of `%` per word. */
function regenerate(mt: Int32Array): void {
  let current = mt[0];
  let i = 0;
  for (; i < SPLIT; i++) {
    const next = mt[i + 1];
    const y = (current & UPPER_MASK) | (next & LOWER_MASK);
    mt[i] = mt[i + SHIFT_SIZE] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    current = next;
  }
  for (; i < STATE_SIZE - 1; i++) {
    const next = mt[i + 1];
    const y = (current & UPPER_MASK) | (next & LOWER_MASK);
    mt[i] = mt[i - SPLIT] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    current = next;
  }
  const y = (current & UPPER_MASK) | (mt[0] & LOWER_MASK);
  mt[STATE_SIZE - 1] = mt[SHIFT_SIZE - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
  mt[POSITION] = 0;
}

function temper(word: number): number {
  let y = word ^ (word >>> 11);
  y ^= (y << 7) & TEMPER_B;
  y ^= (y << 15) & TEMPER_C;
  return y ^ (y >>> 18);
}

export class Mt19937 {
  private readonly state: Int32Array;

  /** `state`: MT19937_STATE_WORDS words already seeded with seedMt19937State (shared memory), else a private copy. */
  constructor(seed: number, state?: Int32Array) {
    if (state) {
      if (state.length < MT19937_STATE_WORDS) throw new RangeError(`MT19937 state needs ${MT19937_STATE_WORDS} words, got ${state.length}`);
      this.state = state;
    } else {
      this.state = new Int32Array(MT19937_STATE_WORDS);
      seedMt19937State(this.state, seed);
    }
  }

  /** A generator over an already seeded state (shared memory), continuing where it stands. */
  static over(state: Int32Array): Mt19937 {
    return new Mt19937(0, state);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const mt = this.state;
    if (mt[POSITION] >= STATE_SIZE) regenerate(mt);
    return temper(mt[mt[POSITION]++]) >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits (the `genrand_res53` construction). */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * `end − start` consecutive `nextDouble` values into out[start, end): the same numbers, with
   * the word loop and tempering inlined, for the bulk draws of per-step noise.
   */
  fillDoubles(out: Float64Array, start: number, end: number): void {
    const mt = this.state;
    let position = mt[POSITION];
    let i = start;
    while (i < end) {
      if (position >= STATE_SIZE - 1) {
        // A pair straddling (or starting at) the end of the state: the word-by-word path.
        mt[POSITION] = position;
        out[i++] = this.nextDouble();
        position = mt[POSITION];
        continue;
      }
      // Whole pairs left before the state must be regenerated.
      const last = Math.min(end, i + ((STATE_SIZE - position) >> 1));
      for (; i < last; i++) {
        let a = mt[position];
        a ^= a >>> 11;
        a ^= (a << 7) & TEMPER_B;
        a ^= (a << 15) & TEMPER_C;
        a ^= a >>> 18;
        let b = mt[position + 1];
        b ^= b >>> 11;
        b ^= (b << 7) & TEMPER_B;
        b ^= (b << 15) & TEMPER_C;
        b ^= b >>> 18;
        position += 2;
        out[i] = ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
      }
    }
    mt[POSITION] = position;
  }
}
