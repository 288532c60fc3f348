// The trainer's only source of randomness (data order, timesteps, noise, LoRA init). Its whole
// state is five numbers, saved in every checkpoint, so a resumed run draws exactly what the
// uninterrupted run would have drawn.

export interface RandomState {
  readonly words: readonly [number, number, number, number];
  /** The second Box–Muller normal of the last pair, not yet handed out. */
  readonly spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** xoshiro128** with Box–Muller normals. */
export class TrainingRandom {
  private s: [number, number, number, number];
  private spare: number | null;

  private constructor(state: RandomState) {
    this.s = [...state.words];
    this.spare = state.spareNormal;
    if (this.s.every((word) => word === 0)) throw new Error('xoshiro128** state must not be all zero');
  }

  static fromSeed(seed: number): TrainingRandom {
    const next = splitmix32(seed);
    return new TrainingRandom({ words: [next(), next(), next(), next()], spareNormal: null });
  }

  static fromState(state: RandomState): TrainingRandom {
    if (state.words.length !== 4 || state.words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffffffff)) {
      throw new Error('random state must be four unsigned 32-bit words');
    }
    return new TrainingRandom(state);
  }

  state(): RandomState {
    return { words: [...this.s], spareNormal: this.spare };
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, bound). */
  integer(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1) throw new RangeError(`bound must be a positive integer, got ${bound}`);
    return Math.floor(this.uniform() * bound);
  }

  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** A Fisher–Yates permutation of 0 … n−1. */
  permutation(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }
}
