/**
 * MT19937, the 32-bit Mersenne Twister of Matsumoto & Nishimura (1998), seeded with the reference
 * `init_genrand` routine. Chosen because it is fully specified by integer arithmetic, so every
 * worker on every platform produces the same bits for the same seed, and because it is the
 * generator numpy's legacy `RandomState` uses, which makes sequences easy to cross-check.
 */
const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  private readonly state = new Uint32Array(STATE_SIZE);
  private position = STATE_SIZE;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32-1], got ${seed}`);
    }
    this.state[0] = seed >>> 0;
    for (let i = 1; i < STATE_SIZE; i++) {
      const previous = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      // 1812433253 * previous + i, modulo 2^32, without losing bits to float rounding.
      this.state[i] = (Math.imul(1812433253, previous) + i) >>> 0;
    }
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    if (this.position >= STATE_SIZE) this.regenerate();
    let y = this.state[this.position++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
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
    let position = this.position;
    for (let i = start; i < end; i++) {
      if (position >= STATE_SIZE - 1) {
        this.position = position;
        out[i] = this.nextDouble();
        position = this.position;
        continue;
      }
      let a = mt[position];
      a ^= a >>> 11;
      a ^= (a << 7) & 0x9d2c5680;
      a ^= (a << 15) & 0xefc60000;
      a ^= a >>> 18;
      let b = mt[position + 1];
      b ^= b >>> 11;
      b ^= (b << 7) & 0x9d2c5680;
      b ^= (b << 15) & 0xefc60000;
      b ^= b >>> 18;
      position += 2;
      out[i] = ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
    }
    this.position = position;
  }

  /** The reference generation step, with the wrap-around split out of the loop instead of `%` per word. */
  private regenerate(): void {
    const mt = this.state;
    const split = STATE_SIZE - SHIFT_SIZE;
    let i = 0;
    for (; i < split; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i + SHIFT_SIZE] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; i < STATE_SIZE - 1; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[i + 1] & LOWER_MASK);
      mt[i] = mt[i - split] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[STATE_SIZE - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[STATE_SIZE - 1] = mt[SHIFT_SIZE - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.position = 0;
  }
}
