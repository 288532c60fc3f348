/**
 * The hand-over of one noise stream between the thread that consumes it (the denoising loop) and
 * the noise thread that draws its next chunk ahead (noise-worker.ts).
 *
 * A stream's state (MT19937 words, spare normal), a staging copy of it and one chunk of values live
 * in shared memory. Only the consumer writes the state; the status word says who may do what:
 *   IDLE → REQUESTED      consumer asks for the next `count` values (and wakes the noise thread)
 *   REQUESTED → WORKING   noise thread claims the request (compare-and-swap), copies the state,
 *                         draws the chunk from its copy and leaves the advanced copy in staging
 *   WORKING → READY       (compare-and-swap) chunk holds the stream's next `count` values, staging
 *                         the state after them
 *   READY → IDLE          consumer commits staging as the state and copies the chunk out
 *   REQUESTED → IDLE      consumer takes the request back (the noise thread had not started) and
 *                         draws the values itself, so a busy or missing thread never stalls a step
 *   WORKING → IDLE        the same when the thread that claimed it is gone (stopped, died) or has
 *                         taken as long as drawing it here would: the state was never touched,
 *                         and that thread's late READY fails its swap (its result is dropped)
 *   WORKING → FAILED      the noise thread threw; the stream is unusable
 * The values are the stream's next ones whoever draws them, so the output never depends on timing.
 */
export const enum ChunkStatus {
  Idle = 0,
  Requested = 1,
  Working = 2,
  Ready = 3,
  Failed = 4,
}

/** Int32 slots at the start of a stream's control buffer. */
export const STATUS = 0;
/** Values requested / held in the chunk. */
export const COUNT = 1;
/** Bytes before the stream's generator state in the control buffer (keeps it 8-byte aligned). */
export const CONTROL_HEADER_BYTES = 8;

/** Byte offsets in a stream's control buffer: status words, the state, the noise thread's staging copy. */
export function controlLayout(stateBytes: number): { readonly state: number; readonly staging: number; readonly bytes: number } {
  return { state: CONTROL_HEADER_BYTES, staging: CONTROL_HEADER_BYTES + stateBytes, bytes: CONTROL_HEADER_BYTES + 2 * stateBytes };
}

/** Consumer → noise thread: a stream's shared memory, sent once per thread. */
export interface OpenStreamMessage {
  readonly type: 'open';
  readonly id: number;
  /** Laid out as controlLayout says. */
  readonly control: SharedArrayBuffer;
  /** Float32 chunk. */
  readonly chunk: SharedArrayBuffer;
}

export interface CloseStreamMessage {
  readonly type: 'close';
  readonly id: number;
}

/** A bare number means "stream `id` has a request" (no object per step). */
export type NoiseThreadMessage = OpenStreamMessage | CloseStreamMessage | number;
