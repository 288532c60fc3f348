/**
 * A seeded normal stream whose next chunk is drawn ahead on the noise thread.
 *
 * Why: a noise-drawing sampler needs one latent of fresh Gaussian noise per step, and drawing it
 * (MT19937 + Box–Muller, fixed by the seed contract) costs more than the rest of the step's host
 * work. The values a step will ask for are known from the seed alone, so after each draw the
 * stream asks the noise thread (noise-worker.ts) for the next chunk of the same size; it is drawn
 * while the loop awaits the UNet, and the next step copies it out instead of drawing it.
 *
 * The values are exactly `createNoise(seed)`'s, in the same order, whoever draws them: a chunk
 * the thread has not started is taken back and drawn here, a chunk in progress is waited for (at
 * most as long as drawing it here would take), and a chunk of a thread that is gone or too slow is
 * drawn here again from the untouched state (see
 * prefetch-protocol.ts). Requests of another size, or bigger than the chunk, are served from what
 * is ready and the rest drawn here. The per-step path allocates nothing.
 *
 * Cost: after the last step one chunk drawn ahead goes unused (close() drops it if not started).
 */
import { NORMAL_STREAM_STATE_BYTES, BoxMullerNoise, assertRandnRange, randnByInto, seedNormalStream } from './noise.js';
import { noiseThreadEpoch, postToNoiseThread } from './noise-thread.js';
import { COUNT, CONTROL_HEADER_BYTES, ChunkStatus, STATUS, controlLayout } from './prefetch-protocol.js';
import type { NoiseSource } from '../schedulers/scheduler.js';

/**
 * Drawing speed on this machine, ns per value, from the draws streams make themselves (moving
 * average): a step waits for a chunk in progress at most as long as drawing it here would take,
 * then draws it itself. A thread that works finishes well within that; one descheduled on a
 * loaded machine costs the step at most twice the inline draw, never an open-ended wait.
 */
let inlineNsPerValue = 30;
/** Draws smaller than this say little about the speed (timer resolution). */
const RATE_SAMPLE_MIN = 4096;
/** Shortest wait worth making (a chunk about to be published). */
const MIN_WAIT_MS = 0.05;
/** Smallest chunk, so that a stream whose first request is tiny still draws ahead usefully. */
const MIN_CHUNK = 4096;

/** How the chunks drawn ahead were used: the measure that the noise thread's work left the step's path. */
export interface PrefetchStats {
  /** Chunks asked of the noise thread. */
  requested: number;
  /** Chunks that were complete when the step needed them (no noise work on the step's path). */
  ready: number;
  /** Chunks the step waited for (and got); waitedMs also counts waits that ended in drawing the chunk here. */
  waited: number;
  waitedMs: number;
  /** Chunks the noise thread had not started (or did not finish in time), drawn by the step itself. */
  drawnInline: number;
}

export function emptyPrefetchStats(): PrefetchStats {
  return { requested: 0, ready: 0, waited: 0, waitedMs: 0, drawnInline: 0 };
}

/** A stream's state turned unusable on the noise thread (it threw while drawing). */
export class NoisePrefetchError extends Error {
  readonly code = 'NOISE_PREFETCH_FAILED';
  constructor() {
    super('the noise thread failed while drawing a chunk');
    this.name = 'NoisePrefetchError';
  }
}

let nextStreamId = 1;
/** Streams created and not closed: a run that ended (finished, canceled, failed) leaves none. */
let openStreams = 0;

/** How many prefetched streams are open in this process (tests check that runs close theirs). */
export function openPrefetchedStreams(): number {
  return openStreams;
}

export class PrefetchedNoise implements NoiseSource {
  readonly stats: PrefetchStats = emptyPrefetchStats();
  private readonly id = nextStreamId++;
  private readonly control: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly state: Uint8Array;
  private readonly staging: Uint8Array;
  /** Draws on this thread, over the shared state. */
  private readonly local: BoxMullerNoise;
  private chunkBuffer: SharedArrayBuffer | undefined;
  private chunk: Float32Array | undefined;
  /** Values of the READY chunk already copied out, and whether its state has been committed. */
  private taken = 0;
  private holding = false;
  /** The noise thread's epoch when it was told about this stream (-1: not told). */
  private openedIn = -1;
  private closed = false;

  constructor(seed: number) {
    const layout = controlLayout(NORMAL_STREAM_STATE_BYTES);
    this.control = new SharedArrayBuffer(layout.bytes);
    seedNormalStream(this.control, seed, layout.state);
    this.words = new Int32Array(this.control, 0, CONTROL_HEADER_BYTES / 4);
    this.state = new Uint8Array(this.control, layout.state, NORMAL_STREAM_STATE_BYTES);
    this.staging = new Uint8Array(this.control, layout.staging, NORMAL_STREAM_STATE_BYTES);
    this.local = new BoxMullerNoise(this.control, layout.state);
    openStreams++;
  }

  randn(count: number): Float32Array {
    return randnByInto(this, count);
  }

  randnInto(out: Float32Array, start = 0, end = out.length): void {
    assertRandnRange(out, start, end);
    if (end === start) return;
    let i = start;
    if (this.settle() === ChunkStatus.Ready) i = this.copyOut(out, i, end);
    // Nothing is held any more (or the request was bigger than the chunk): the rest is drawn here.
    if (i < end) {
      const before = performance.now();
      this.local.randnInto(out, i, end);
      if (end - i >= RATE_SAMPLE_MIN) inlineNsPerValue += 0.25 * (((performance.now() - before) * 1e6) / (end - i) - inlineNsPerValue);
    }
    if (!this.holding) this.request(end - start);
  }

  /**
   * Resolves once no chunk is being drawn ahead for this stream (drawn, or taken back): for tests
   * and benchmarks that need the noise thread to have finished, without timing anything.
   */
  async drawnAhead(): Promise<void> {
    for (;;) {
      const status = Atomics.load(this.words, STATUS);
      if (status !== ChunkStatus.Requested && status !== ChunkStatus.Working) return;
      if (status === ChunkStatus.Requested && this.openedIn !== noiseThreadEpoch()) return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Drops the stream: the noise thread forgets it and draws nothing more for it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    openStreams--;
    Atomics.compareExchange(this.words, STATUS, ChunkStatus.Requested, ChunkStatus.Idle);
    if (this.openedIn === noiseThreadEpoch()) postToNoiseThread({ type: 'close', id: this.id });
  }

  /** Waits out or takes back a chunk in flight, so the status is IDLE or READY (committed). */
  private settle(): ChunkStatus.Idle | ChunkStatus.Ready {
    let waitedFrom = -1;
    for (;;) {
      const status = Atomics.load(this.words, STATUS) as ChunkStatus;
      if (status === ChunkStatus.Idle) return status;
      if (status === ChunkStatus.Ready) {
        if (!this.holding) {
          // The chunk is the stream's next values; the state after them becomes the stream's.
          this.state.set(this.staging);
          this.holding = true;
          this.taken = 0;
          if (waitedFrom < 0) this.stats.ready++;
          else {
            this.stats.waited++;
            this.stats.waitedMs += performance.now() - waitedFrom;
          }
        }
        return status;
      }
      if (status === ChunkStatus.Failed) throw new NoisePrefetchError();
      if (status === ChunkStatus.Requested) {
        if (Atomics.compareExchange(this.words, STATUS, ChunkStatus.Requested, ChunkStatus.Idle) === ChunkStatus.Requested) {
          this.stats.drawnInline++;
          return ChunkStatus.Idle;
        }
        continue;
      }
      // Working: the thread is drawing it, unless that thread is gone (then the state is untouched).
      if (this.openedIn !== noiseThreadEpoch()) {
        this.takeBack();
        continue;
      }
      const now = performance.now();
      if (waitedFrom < 0) waitedFrom = now;
      const budget = Math.max(MIN_WAIT_MS, (this.words[COUNT] * inlineNsPerValue) / 1e6) - (now - waitedFrom);
      if (budget <= 0 || Atomics.wait(this.words, STATUS, ChunkStatus.Working, budget) === 'timed-out') {
        // Waited as long as drawing it here takes: draw it here (the thread's late result is dropped).
        if (this.takeBack()) this.stats.waitedMs += performance.now() - waitedFrom;
      }
    }
  }

  /** Working → Idle: the chunk in progress will be drawn here; false if it was published meanwhile. */
  private takeBack(): boolean {
    if (Atomics.compareExchange(this.words, STATUS, ChunkStatus.Working, ChunkStatus.Idle) !== ChunkStatus.Working) return false;
    this.stats.drawnInline++;
    return true;
  }

  /** Copies held values into out[i, end); returns the next index to fill. */
  private copyOut(out: Float32Array, i: number, end: number): number {
    const chunk = this.chunk as Float32Array;
    const held = this.words[COUNT];
    const n = Math.min(end - i, held - this.taken);
    // A plain loop: `subarray` would allocate a view per step.
    for (let k = 0, from = this.taken; k < n; k++) out[i + k] = chunk[from + k];
    this.taken += n;
    if (this.taken === held) {
      this.holding = false;
      Atomics.store(this.words, STATUS, ChunkStatus.Idle);
    }
    return i + n;
  }

  /** Asks the noise thread for the next `count` values (what the step just drew, again). */
  private request(count: number): void {
    if (this.closed) return;
    if (!this.chunk) {
      // Sized once, by the first request (a pipeline's first is one image's latent, what each step
      // asks for): never swapped, so a wake-up message that arrives late can only ever find this
      // chunk and the request then standing, which it serves correctly.
      this.chunkBuffer = new SharedArrayBuffer(Math.max(count, MIN_CHUNK) * Float32Array.BYTES_PER_ELEMENT);
      this.chunk = new Float32Array(this.chunkBuffer);
    }
    const epoch = noiseThreadEpoch();
    if (this.openedIn !== epoch) {
      if (!postToNoiseThread({ type: 'open', id: this.id, control: this.control, chunk: this.chunkBuffer as SharedArrayBuffer })) return;
      this.openedIn = epoch;
    }
    this.words[COUNT] = Math.min(count, this.chunk.length);
    Atomics.store(this.words, STATUS, ChunkStatus.Requested);
    if (postToNoiseThread(this.id)) this.stats.requested++;
    else Atomics.compareExchange(this.words, STATUS, ChunkStatus.Requested, ChunkStatus.Idle);
  }
}
