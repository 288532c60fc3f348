/**
 * The noise thread: draws the next chunk of each open stream while the denoising loop waits on
 * ONNX Runtime, so a step finds its noise ready. One per process (noise-thread.ts). It never
 * writes a stream's state: it draws from a private copy and leaves the advanced copy in staging
 * for the consumer to commit (prefetch-protocol.ts).
 */
import { parentPort } from 'node:worker_threads';
import { BoxMullerNoise, NORMAL_STREAM_STATE_BYTES } from './noise.js';
import { COUNT, CONTROL_HEADER_BYTES, ChunkStatus, STATUS, controlLayout, type NoiseThreadMessage } from './prefetch-protocol.js';

interface Stream {
  readonly control: Int32Array;
  readonly state: Uint8Array;
  readonly staging: Uint8Array;
  /** This thread's copy of the state, which `noise` draws from. */
  readonly copy: Uint8Array;
  readonly noise: BoxMullerNoise;
  readonly chunk: Float32Array;
}

const streams = new Map<number, Stream>();

function draw(stream: Stream): void {
  const { control } = stream;
  // The consumer may have taken the request back already; then it is not ours to draw.
  if (Atomics.compareExchange(control, STATUS, ChunkStatus.Requested, ChunkStatus.Working) !== ChunkStatus.Requested) return;
  let status: ChunkStatus = ChunkStatus.Ready;
  try {
    stream.copy.set(stream.state);
    stream.noise.randnInto(stream.chunk, 0, control[COUNT]);
    stream.staging.set(stream.copy);
  } catch {
    status = ChunkStatus.Failed;
  }
  // Fails only if the consumer gave up on this thread meanwhile; then nothing here is used.
  Atomics.compareExchange(control, STATUS, ChunkStatus.Working, status);
  Atomics.notify(control, STATUS);
}

function open(id: number, control: SharedArrayBuffer, chunk: SharedArrayBuffer): void {
  const layout = controlLayout(NORMAL_STREAM_STATE_BYTES);
  const copy = new Uint8Array(NORMAL_STREAM_STATE_BYTES);
  streams.set(id, {
    control: new Int32Array(control, 0, CONTROL_HEADER_BYTES / 4),
    state: new Uint8Array(control, layout.state, NORMAL_STREAM_STATE_BYTES),
    staging: new Uint8Array(control, layout.staging, NORMAL_STREAM_STATE_BYTES),
    copy,
    noise: new BoxMullerNoise(copy.buffer),
    chunk: new Float32Array(chunk),
  });
}

parentPort?.on('message', (message: NoiseThreadMessage) => {
  if (typeof message === 'number') {
    const stream = streams.get(message);
    if (stream) draw(stream);
  } else if (message.type === 'open') {
    open(message.id, message.control, message.chunk);
  } else {
    streams.delete(message.id);
  }
});
