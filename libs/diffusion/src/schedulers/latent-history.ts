/**
 * The last few latents a multistep sampler keeps (x̂₀ or ε per step), in buffers allocated once,
 * together, on first use: a step computes its entry into `spare()` and `push`es it, and the
 * oldest entry's buffer is recycled, so a run allocates the same whatever its step count.
 */
export class LatentHistory {
  private slots: Float32Array[] = [];
  /** Oldest first; every entry is one of `slots`. */
  private readonly entries: Float32Array[] = [];

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** A buffer of `length` holding no kept entry (capacity + 1 exist, so one is always free). */
  spare(length: number): Float32Array {
    if (this.slots.length === 0 || this.slots[0].length !== length) {
      this.slots = Array.from({ length: this.capacity + 1 }, () => new Float32Array(length));
      this.entries.length = 0;
    }
    for (let s = 0; s < this.slots.length; s++) {
      if (!this.entries.includes(this.slots[s])) return this.slots[s];
    }
    throw new Error('latent history has no free buffer');
  }

  /** Keeps `entry` (from `spare`) as the newest, forgetting the oldest beyond capacity. */
  push(entry: Float32Array): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  /** `back` = 0 is the newest entry. */
  newest(back: number): Float32Array {
    return this.entries[this.entries.length - 1 - back];
  }
}
