import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ExecutionProviderUnavailableError, sessionOptionsFor, type ExecutionProviderName } from './execution-providers.js';
import { componentBytes } from './model-files.js';
import { OptimizedModelCache } from './optimized-model-cache.js';

export interface SessionPoolStats {
  hits: number;
  misses: number;
  evictions: number;
  loadSeconds: number;
  loadedBytes: number;
  sessions: number;
}

/** How the bytes a loaded session counts against the budget were arrived at. */
export interface LoadedBytes {
  /** The weights on disk (model file plus external data), or the merged model's bytes. */
  readonly diskBytes: number;
  /** Growth of the process's resident memory while ONNX Runtime created the session. */
  readonly rssDelta: number;
}

export interface SessionPoolObserver {
  /** `bytes` is what the session counts against the budget: `diskBytes`, or `rssDelta` when clearly larger. */
  onLoad?(modelPath: string, seconds: number, bytes: number, detail: LoadedBytes): void;
  onHit?(modelPath: string): void;
  onMiss?(modelPath: string): void;
  onEvict?(modelPath: string, bytes: number): void;
  /** After any change of the loaded set. */
  onChange?(stats: Readonly<SessionPoolStats>): void;
}

interface Entry {
  readonly path: string;
  readonly bytes: number;
  readonly session: ort.InferenceSession;
  leases: number;
  lastUsed: number;
}

/**
 * Memory growth beyond a session's weights smaller than this is allocator and runtime noise (a
 * process's first session also pays ONNX Runtime's ~25 MB environment), not the session's own.
 */
const MEASUREMENT_NOISE_BYTES = 32 * 1024 ** 2;

/** Something the pool can open a session from (a model file, or a merged model in memory). */
export interface PoolSource {
  readonly key: string;
  readonly bytes: number;
  create(options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession>;
}

export interface SessionPoolOptions {
  /**
   * Keep ONNX Runtime's optimized copy of each model file here and open that copy on later loads:
   * much faster, and its weights are memory-mapped rather than copied. Costs the model's size in
   * disk space and a slower first load (the copy is written then).
   */
  readonly optimizedModelDir?: string;
}

/** A leased session: release it when the job is done so the pool may evict it. */
export interface SessionLease {
  readonly session: ort.InferenceSession;
  release(): void;
}

/**
 * Per-worker pool of ONNX Runtime sessions keyed by model file, evicting the least recently used
 * idle sessions when the loaded bytes exceed the budget. Concurrent jobs asking for the same
 * component share one load; a session in use is never released under a job.
 */
export class SessionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  /** Session creations run one at a time, so each one's memory growth is its own. */
  private creating: Promise<unknown> = Promise.resolve();
  readonly stats: SessionPoolStats = { hits: 0, misses: 0, evictions: 0, loadSeconds: 0, loadedBytes: 0, sessions: 0 };

  /** Where optimized copies of model files are kept (CPU provider only); none without a directory. */
  readonly optimizedModels: OptimizedModelCache | undefined;

  constructor(
    readonly provider: ExecutionProviderName,
    private readonly budgetBytes: number,
    private readonly observer: SessionPoolObserver = {},
    options: SessionPoolOptions = {},
  ) {
    // Fails fast, listing what this platform supports, for a device onnxruntime-node cannot run here.
    sessionOptionsFor(provider);
    // GPU providers compile their own kernels at load; a saved CPU-optimized graph is no use to them.
    this.optimizedModels = options.optimizedModelDir && provider === 'cpu' ? new OptimizedModelCache(options.optimizedModelDir) : undefined;
  }

  private prepareFile: ((modelPath: string) => Promise<void>) | undefined;

  /** Called before a model file is opened: remote weights are fetched on first use this way. */
  setFilePreparer(prepare: (modelPath: string) => Promise<void>): void {
    this.prepareFile = prepare;
  }

  /** Makes a model file present (fetching remote weights) without loading it, e.g. before a LoRA merge reads it. */
  async prepare(modelPath: string): Promise<void> {
    await this.prepareFile?.(path.resolve(modelPath));
  }

  /** Whether any loaded session came from a file in `dir` (the disk cache must keep those). */
  isLoadedFrom(dir: string): boolean {
    const prefix = path.resolve(dir) + path.sep;
    return [...this.entries.keys()].some((key) => key.startsWith(prefix));
  }

  async acquire(modelPath: string): Promise<SessionLease> {
    const key = path.resolve(modelPath);
    return this.acquireSource(key, async () => {
      await this.prepareFile?.(key);
      return {
      key,
        bytes: await componentBytes(key),
        create: (options) => (this.optimizedModels ? this.optimizedModels.create(key, options) : ort.InferenceSession.create(key, options)),
      };
    });
  }

  /**
   * A session for anything that can create one (a merged LoRA model, say), cached under `key`:
   * `load` only runs on a miss, so a repeated adapter set pays its merge once.
   */
  async acquireSource(key: string, load: () => Promise<PoolSource>): Promise<SessionLease> {
    let entry = this.entries.get(key);
    if (entry) {
      this.stats.hits++;
      this.observer.onHit?.(key);
    } else {
      let pending = this.loading.get(key);
      if (pending) {
        // Joining a load already under way costs no load: it counts as a hit.
        this.stats.hits++;
        this.observer.onHit?.(key);
      } else {
        this.stats.misses++;
        this.observer.onMiss?.(key);
        pending = this.load(key, load).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      entry = await pending;
    }
    entry.leases++;
    entry.lastUsed = performance.now();
    const leased = entry;
    let released = false;
    return {
      session: leased.session,
      release: () => {
        if (released) return;
        released = true;
        leased.leases--;
        void this.evictOverBudget();
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((entry) => entry.session.release()));
    this.stats.sessions = 0;
    this.stats.loadedBytes = 0;
  }

  private async load(key: string, loadSource: () => Promise<PoolSource>): Promise<Entry> {
    const started = performance.now();
    const source = await loadSource();
    const { session, rssDelta } = await this.createMeasured(source);
    // What the session really holds: its weights, or the memory it made the process grow by when
    // that is clearly more (ONNX Runtime keeping extra copies: pre-packed or constant-folded
    // tensors, weights handed over through JS).
    const bytes = rssDelta - source.bytes > MEASUREMENT_NOISE_BYTES ? rssDelta : source.bytes;
    const seconds = (performance.now() - started) / 1000;
    const entry: Entry = { path: key, bytes, session, leases: 0, lastUsed: performance.now() };
    this.entries.set(key, entry);
    this.stats.loadSeconds += seconds;
    this.stats.loadedBytes += bytes;
    this.stats.sessions = this.entries.size;
    this.observer.onLoad?.(key, seconds, bytes, { diskBytes: source.bytes, rssDelta });
    this.observer.onChange?.(this.stats);
    await this.evictOverBudget(key);
    return entry;
  }

  /** Creates the session after any creation under way, measuring resident memory around it. */
  private createMeasured(source: PoolSource): Promise<{ session: ort.InferenceSession; rssDelta: number }> {
    const created = this.creating.then(async () => {
      const before = process.memoryUsage.rss();
      let session: ort.InferenceSession;
      try {
        session = await source.create(sessionOptionsFor(this.provider));
      } catch (error) {
        if (this.provider !== 'cpu' && (await loadsOnCpu(source))) throw new ExecutionProviderUnavailableError(this.provider, error);
        throw error;
      }
      return { session, rssDelta: Math.max(0, process.memoryUsage.rss() - before) };
    });
    this.creating = created.catch(() => undefined);
    return created;
  }

  private async evictOverBudget(keep?: string): Promise<void> {
    while (this.stats.loadedBytes > this.budgetBytes) {
      const victim = [...this.entries.values()]
        .filter((entry) => entry.leases === 0 && entry.path !== keep)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!victim) return;
      this.entries.delete(victim.path);
      this.stats.loadedBytes -= victim.bytes;
      this.stats.evictions++;
      this.stats.sessions = this.entries.size;
      this.observer.onEvict?.(victim.path, victim.bytes);
      this.observer.onChange?.(this.stats);
      await victim.session.release();
    }
  }
}

/**
 * Whether a model a GPU provider failed to load opens on the CPU provider alone: then the
 * provider (its libraries, driver or device) is what failed, not the model. Decided by trying,
 * not by reading ONNX Runtime's error text; only ever on the failure path.
 */
async function loadsOnCpu(source: PoolSource): Promise<boolean> {
  try {
    const session = await source.create(sessionOptionsFor('cpu'));
    await session.release();
    return true;
  } catch {
    return false;
  }
}
