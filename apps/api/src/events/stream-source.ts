/** One event on the wire: its name and a JSON payload. */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * What a live-progress stream needs to know about one kind of record (generation, batch, and any
 * later one such as a training run): how to read its current state, which events take a client
 * from the state it last saw to the current one, and when the record has nothing more to say.
 */
export interface StreamSource<S> {
  /** The current state, or undefined once the record no longer exists (expired). */
  read(): Promise<S | undefined>;
  /** Events between `previous` (undefined on the first read) and `current`, in order. */
  changes(previous: S | undefined, current: S): Promise<readonly SseEvent[]>;
  /** True when `state` is terminal: its last events were sent and the stream closes. */
  isFinal(state: S): boolean;
}
