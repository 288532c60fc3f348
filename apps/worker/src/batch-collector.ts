/** A job taken from the queue for a forming batch; `start` hands it to the worker's processing. */
export interface PulledJob {
  readonly id: string;
  start(): void;
}

/** Takes the next waiting job of this worker's queue, if any, without blocking. */
export type PullJob = () => Promise<PulledJob | undefined>;

export interface BatchCollectorOptions<T, R> {
  /** How long a job that can pull looks for companions (BATCH_WINDOW_MS). */
  readonly windowMs: number;
  /** Images (samples summed) in one UNet batch at most (MAX_CROSS_REQUEST_BATCH). */
  readonly maxImages: number;
  /** Batches running at once (WORKER_CONCURRENCY). */
  readonly concurrency: number;
  /** Runs the payloads as one batch; one promise per payload, settling on its own. */
  run(payloads: readonly T[]): ReadonlyArray<Promise<R>>;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Seat<T> {
  readonly id: string;
  payload?: T;
  /** Settled when the job reached `submit` or left. */
  readonly arrived: Promise<void>;
  arrive(): void;
}

interface Group<T, R> {
  readonly key: string;
  images: number;
  open: boolean;
  readonly seats: Array<Seat<T>>;
  /** Resolved with the shared run's per-seat promises once the group runs. */
  readonly started: Promise<ReadonlyArray<Promise<R>>>;
  start(results: ReadonlyArray<Promise<R>>): void;
  fail(error: unknown): void;
}

interface Expected<T, R> {
  readonly group: Group<T, R>;
  /** 'joined' when the pulled job took a seat, 'other' when it will run on its own. */
  resolve(outcome: 'joined' | 'other'): void;
}

function deferred<V>(): { promise: Promise<V>; resolve: (value: V) => void; reject: (error: unknown) => void } {
  let resolve: (value: V) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<V>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/**
 * Groups compatible jobs into one UNet batch. A job the worker took from the queue itself (the
 * leader) looks for companions for at most `windowMs`: it pulls the next waiting jobs one at a
 * time, and each pulled job says, as soon as it has read its record (`reserve`), whether it fits
 * (same key, room left); the first that does not fit ends the search and runs after the batch on
 * its own, so a worker never holds more than one job it cannot batch. A lone job finds the queue
 * empty and waits at most `windowMs` (polling every millisecond). Pulled jobs never pull.
 */
export class BatchCollector<T, R> {
  private readonly expected = new Map<string, Expected<T, R>>();
  private readonly seated = new Map<string, { group: Group<T, R>; seat: Seat<T> }>();
  private running = 0;
  private readonly gateQueue: Array<() => void> = [];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BatchCollectorOptions<T, R>) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * A pulled job announces its key (undefined: it always runs alone) and image count as soon as it
   * knows them; a job nobody pulled is ignored here.
   */
  reserve(id: string, key: string | undefined, images: number): void {
    const waiting = this.expected.get(id);
    if (!waiting) return;
    this.expected.delete(id);
    const { group } = waiting;
    if (key === undefined || key !== group.key || !group.open || group.images + images > this.options.maxImages) {
      waiting.resolve('other');
      return;
    }
    group.images += images;
    const arrival = deferred<void>();
    const seat: Seat<T> = { id, arrived: arrival.promise, arrive: () => arrival.resolve() };
    group.seats.push(seat);
    this.seated.set(id, { group, seat });
    waiting.resolve('joined');
  }

  /** The job ended (or gave up) without running through `submit`: it frees its seat. */
  left(id: string): void {
    this.expected.get(id)?.resolve('other');
    this.expected.delete(id);
    const seated = this.seated.get(id);
    if (!seated) return;
    this.seated.delete(id);
    seated.seat.arrive();
  }

  /**
   * Runs the job's payload: in the batch it reserved a seat in, or in a new batch it leads
   * (collecting companions with `pull` when given and `key` is defined), or alone.
   */
  async submit(id: string, key: string | undefined, images: number, payload: T, pull?: PullJob): Promise<R> {
    const seated = this.seated.get(id);
    if (seated) {
      this.seated.delete(id);
      seated.seat.payload = payload;
      seated.seat.arrive();
      const results = await seated.group.started;
      return results[seated.group.seats.filter((seat) => seat.payload !== undefined).indexOf(seated.seat)];
    }
    const group = this.newGroup(key ?? '', images);
    const own: Seat<T> = { id, payload, arrived: Promise.resolve(), arrive: () => undefined };
    group.seats.push(own);
    if (pull && key !== undefined) await this.collect(group, pull);
    group.open = false;
    await Promise.all(group.seats.map((seat) => seat.arrived));
    const members = group.seats.filter((seat) => seat.payload !== undefined);
    await this.enterGate();
    let results: ReadonlyArray<Promise<R>>;
    try {
      results = this.options.run(members.map((seat) => seat.payload as T));
    } catch (error) {
      this.leaveGate();
      group.fail(error);
      throw error;
    }
    void Promise.allSettled(results).then(() => this.leaveGate());
    group.start(results);
    return results[members.indexOf(own)];
  }

  private newGroup(key: string, images: number): Group<T, R> {
    const started = deferred<ReadonlyArray<Promise<R>>>();
    // A group that fails to start rejects its seated members; nobody else awaits it.
    started.promise.catch(() => undefined);
    return { key, images, open: true, seats: [], started: started.promise, start: started.resolve, fail: started.reject };
  }

  private async collect(group: Group<T, R>, pull: PullJob): Promise<void> {
    const deadline = performance.now() + this.options.windowMs;
    while (group.images < this.options.maxImages && performance.now() < deadline) {
      const job = await pull();
      if (!job) {
        await this.sleep(Math.min(1, Math.max(0, deadline - performance.now())));
        continue;
      }
      const outcome = deferred<'joined' | 'other'>();
      this.expected.set(job.id, { group, resolve: outcome.resolve });
      job.start();
      if ((await outcome.promise) === 'other') return;
    }
  }

  private async enterGate(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.gateQueue.push(resolve));
  }

  private leaveGate(): void {
    const next = this.gateQueue.shift();
    if (next) next();
    else this.running--;
  }
}
