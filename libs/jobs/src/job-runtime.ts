import { Queue, QueueEvents, UnrecoverableError, Worker, type BackoffStrategy, type Job } from 'bullmq';
import type { JobName, QueueName } from '@atelier/contracts';
import type { RedisClient } from '@atelier/queue';
import { checkHandlers } from './handler-check.js';
import type { QueueDefinition, QueueDefinitions } from './queue-definitions.js';
import { stalledTooOften } from './stalled.js';
import { WorkerShutdownError } from './worker-shutdown.js';

/** Runs one job; `signal` aborts when the job is canceled or the worker hands it back. */
export type JobHandler = (job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;

export interface JobRuntimeOptions {
  readonly definitions: QueueDefinitions;
  /** The BullMQ prefix (see bullmqPrefix in libs/queue). */
  readonly prefix: string;
  /** Shared by every Queue of this process (producers). */
  readonly queueConnection: RedisClient;
  /** A fresh connection for each Worker and QueueEvents (they block on it). */
  readonly blockingConnection: () => RedisClient;
  /** Worker errors (connection trouble); the runtime keeps running. */
  readonly onWorkerError?: (queue: string, error: Error) => void;
}

export interface ConsumeOptions {
  /** The queue's name when the kind is split per worker class (`generation-gpu`); the kind otherwise. */
  readonly name?: string;
  /** For queues whose jobs use a custom backoff type (the table's `customBackoff`). */
  readonly backoffStrategy?: BackoffStrategy;
  /** A job BullMQ failed because it stalled too often: its workers kept dying, no handler ran. */
  readonly onStalledTooOften?: (job: Job) => void;
  /** Every failed attempt (for logging). */
  readonly onFailed?: (job: Job | undefined, error: Error) => void;
}

/** The job has a name no handler of this queue knows (a newer producer, or a wiring mistake). */
export class UnknownJobNameError extends UnrecoverableError {
  readonly code = 'unknown_job_name';

  constructor(queue: string, name: string) {
    super(`queue ${queue} has no handler for job name "${name}"`);
    this.name = 'UnknownJobNameError';
  }
}

/**
 * The only place BullMQ queues, workers and queue events are created (in the spirit of immich's
 * job repository): every one takes its options from the queue table (queueDefinitions), handlers
 * register per JobName, and start() refuses to run when a consumed job name has no handler or
 * more than one.
 */
export class JobRuntime {
  private readonly queues = new Map<string, Queue>();
  private readonly kinds = new Map<string, QueueName>();
  private readonly workers = new Map<string, Worker>();
  private readonly events = new Map<string, QueueEvents>();
  private readonly handlers = new Map<JobName, JobHandler>();
  private readonly registrations = new Map<JobName, number>();
  private readonly consumed = new Set<JobName>();
  private readonly connections: RedisClient[] = [];
  private started = false;

  constructor(private readonly options: JobRuntimeOptions) {}

  definition(kind: QueueName): QueueDefinition {
    return this.options.definitions[kind];
  }

  /** The producer side of a queue, created once per name with the table's job options. */
  queue(kind: QueueName, name: string = kind): Queue {
    this.checkName(kind, name);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.options.queueConnection, prefix: this.options.prefix, defaultJobOptions: this.definition(kind).jobOptions });
      this.queues.set(name, queue);
      this.kinds.set(name, kind);
    }
    return queue;
  }

  /** Names of the queues of one kind this runtime has opened (producer side). */
  queueNames(kind: QueueName): string[] {
    return [...this.kinds].filter(([, of]) => of === kind).map(([name]) => name);
  }

  /** A QueueEvents listener for one queue, created once per name. */
  queueEvents(kind: QueueName, name: string = kind): QueueEvents {
    this.checkName(kind, name);
    let events = this.events.get(name);
    if (!events) {
      events = new QueueEvents(name, { connection: this.connection(), prefix: this.options.prefix });
      this.events.set(name, events);
    }
    return events;
  }

  /** The handler of one job name; start() checks that each consumed name has exactly one. */
  register(job: JobName, handler: JobHandler): this {
    this.registrations.set(job, (this.registrations.get(job) ?? 0) + 1);
    if (!this.handlers.has(job)) this.handlers.set(job, handler);
    return this;
  }

  /**
   * A worker for one queue with the table's worker options, not running until start(). Jobs are
   * dispatched to the handler registered for their name.
   */
  consume(kind: QueueName, options: ConsumeOptions = {}): Worker {
    const name = options.name ?? kind;
    this.checkName(kind, name);
    if (this.started) throw new Error(`queue ${name}: consume() after start()`);
    if (this.workers.has(name)) throw new Error(`queue ${name} is already consumed by this process`);
    const definition = this.definition(kind);
    if (definition.customBackoff && !options.backoffStrategy) throw new Error(`queue ${name}: its jobs use a custom backoff; pass backoffStrategy`);
    for (const job of definition.jobs) this.consumed.add(job);
    const worker = new Worker(name, (job, token, signal) => this.dispatch(name, job, token, signal), {
      ...definition.worker,
      connection: this.connection(),
      prefix: this.options.prefix,
      autorun: false,
      ...(options.backoffStrategy ? { settings: { backoffStrategy: options.backoffStrategy } } : {}),
    });
    worker.on('error', (error) => this.options.onWorkerError?.(name, error));
    const maxStalledCount = worker.opts.maxStalledCount ?? 1;
    worker.on('failed', (job, error) => {
      options.onFailed?.(job, error);
      if (job && options.onStalledTooOften && stalledTooOften(job, maxStalledCount)) options.onStalledTooOften(job);
    });
    this.workers.set(name, worker);
    return worker;
  }

  /** Checks the handlers against the consumed queues (fails fast, naming them), then runs the workers. */
  start(): void {
    checkHandlers(this.consumed, this.registrations);
    this.started = true;
    // run() resolves when the worker closes; a rejection (its loop failing outright) must reach
    // the process's error report, never become an unhandled rejection that kills the API.
    for (const [name, worker] of this.workers) {
      worker.run().catch((error: unknown) => this.options.onWorkerError?.(name, error instanceof Error ? error : new Error(String(error))));
    }
  }

  /** Workers stop taking jobs and wait for the running ones (see JobRuntime.cancelAll to hand them back). */
  async closeWorkers(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.close()));
  }

  /** Aborts every running job's signal with a WorkerShutdownError: their handlers hand them back. */
  handBackAll(): void {
    const reason = new WorkerShutdownError();
    // BullMQ types the reason as a string but passes it to AbortController#abort as it is: the
    // handlers recognise the class (isWorkerShutdown), not a text.
    for (const worker of this.workers.values()) worker.cancelAllJobs(reason as unknown as string);
  }

  /** Aborts one running job's signal, on whichever worker runs it. */
  cancel(jobId: string, reason: string): boolean {
    return [...this.workers.values()].some((worker) => worker.cancelJob(jobId, reason));
  }

  async close(): Promise<void> {
    await this.closeWorkers();
    await Promise.allSettled([...this.queues.values(), ...this.events.values()].map((closable) => closable.close()));
    for (const connection of this.connections) connection.disconnect();
  }

  private dispatch(queue: string, job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new UnknownJobNameError(queue, job.name);
    return handler(job, token, signal);
  }

  private connection(): RedisClient {
    const connection = this.options.blockingConnection();
    this.connections.push(connection);
    return connection;
  }

  private checkName(kind: QueueName, name: string): void {
    if (name === kind) return;
    if (this.definition(kind).perWorkerClass && name.startsWith(`${kind}-`) && name.length > kind.length + 1) return;
    throw new Error(`"${name}" is not a queue of kind ${kind}`);
  }
}
