import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AtelierApiError, type AtelierClient, type BatchPage, type GenerationRequestInput, type GenerationView } from '@atelier/client';
import { saveOutputs } from '../save-outputs.js';
import type { InputLine } from './batch-input.js';
import { mapLimit } from './map-limit.js';
import type { BatchProgress } from './progress-text.js';
import type { LineState, StateFile } from './state-file.js';
import { Throughput } from './throughput.js';

/** The server's page limit on GET /v1/batches/{id}: one page can always list a whole chunk. */
const MAX_CHUNK = 1000;
const DOWNLOAD_LANES = 8;

export interface BatchRunOptions {
  readonly client: AtelierClient;
  readonly lines: readonly InputLine[];
  readonly store: StateFile;
  readonly outDir: string;
  /** Generations in flight on the farm at most (submitted, not finished). */
  readonly concurrency: number;
  readonly pollMs: number;
  /** Aborting it stops the run gracefully: a submission in flight still completes and is recorded. */
  readonly stop: AbortSignal;
  /** `final` is the last call of the run. */
  readonly onProgress: (progress: BatchProgress, final: boolean) => void;
  readonly log: (message: string) => void;
}

export interface LineFailure {
  readonly line: number;
  readonly code: string;
  readonly message: string;
  readonly generation_id?: string;
}

export interface BatchOutcome {
  readonly total: number;
  /** Lines whose images are in the folder, this run or an earlier one. */
  readonly done: number;
  /** Of those, lines an earlier run had already finished. */
  readonly skipped: number;
  readonly images: number;
  readonly failures: readonly LineFailure[];
  /** Lines neither done nor failed (an interrupted run): the next run picks them up. */
  readonly unfinished: number;
  readonly files: readonly string[];
}

const IN_FLIGHT: ReadonlySet<LineState['status']> = new Set(['submitted', 'queued', 'running', 'succeeded']);
const FAILED: ReadonlySet<LineState['status']> = new Set(['failed', 'canceled', 'rejected']);

/**
 * Submits a JSONL batch in chunks of `POST /v1/batches`, follows it through batch pages, and
 * downloads each finished generation. Everything it learns goes into the state file first, so a
 * run stopped at any point resumes: finished lines are skipped, submitted ones re-attached.
 */
export class BatchRunner {
  private readonly state: Record<string, LineState>;
  private readonly byLine: ReadonlyMap<number, InputLine>;
  private readonly pending: number[] = [];
  private readonly active = new Set<number>();
  /** Submissions an earlier run sent without recording the answer: sent again under the same key. */
  private readonly replays: Array<{ readonly key: string; readonly lines: number[] }> = [];
  private readonly throughput = new Throughput();
  private skipped = 0;
  /** In-flight ceiling: --concurrency, lowered when the tenant's queue limit is lower. */
  private limit: number;

  constructor(private readonly options: BatchRunOptions) {
    this.state = options.store.state.lines;
    this.byLine = new Map(options.lines.map((line) => [line.line, line]));
    this.limit = options.concurrency;
  }

  async run(): Promise<BatchOutcome> {
    this.plan();
    await this.options.store.flush();
    this.report();
    try {
      const { stop } = this.options;
      for (const replay of this.replays) await this.submit(replay.lines, replay.key);
      while (!stop.aborted) {
        while (this.pending.length > 0 && this.active.size < this.limit && !stop.aborted) {
          const chunk = this.pending.splice(0, Math.min(this.limit - this.active.size, MAX_CHUNK));
          await this.submit(chunk);
          this.report();
        }
        if (this.active.size === 0 && this.pending.length === 0) break;
        if (this.active.size > 0) {
          try {
            await this.poll();
          } catch (error) {
            if (stop.aborted) break;
            throw error;
          }
          this.report();
          if (this.active.size === 0 && this.pending.length === 0) break;
        }
        // Slots freed by the poll are filled at once; otherwise the farm needs time before the next look.
        if (this.pending.length === 0 || this.active.size >= this.limit) await sleepUnlessStopped(this.options.pollMs, stop);
      }
    } finally {
      await this.options.store.flush();
      this.report(true);
    }
    return this.outcome();
  }

  /** Decides per line: skip (done), re-attach (submitted earlier), replay (answer lost), or submit. */
  private plan(): void {
    const chunkSizes = new Map<string, number>();
    for (const entry of Object.values(this.state)) {
      if (entry.status === 'submitting' && entry.idempotency_key) chunkSizes.set(entry.idempotency_key, (chunkSizes.get(entry.idempotency_key) ?? 0) + 1);
    }
    for (const key of Object.keys(this.state)) if (!this.byLine.has(Number(key))) delete this.state[key];
    const replays = new Map<string, number[]>();
    for (const input of this.options.lines) {
      const previous = this.state[input.line];
      if (!input.ok) {
        this.set(input.line, { hash: input.hash, status: 'rejected', error: { code: 'invalid_line', message: input.error } });
        continue;
      }
      if (previous?.hash === input.hash) {
        if (previous.status === 'submitting' && previous.idempotency_key) {
          replays.set(previous.idempotency_key, [...(replays.get(previous.idempotency_key) ?? []), input.line]);
          continue;
        }
        if (previous.status === 'downloaded' && (previous.files ?? []).every((file) => existsSync(path.join(this.options.outDir, file)))) {
          this.skipped++;
          continue;
        }
        if ((previous.generation_id || previous.batch_id) && (IN_FLIGHT.has(previous.status) || previous.status === 'downloaded')) {
          // A downloaded line whose files are gone is fetched again from the same generation.
          if (previous.status === 'downloaded') this.set(input.line, { ...previous, status: 'succeeded', files: undefined });
          this.active.add(input.line);
          continue;
        }
      }
      // New, edited, or failed last time: submitted (again).
      delete this.state[input.line];
      this.pending.push(input.line);
    }
    for (const [key, lines] of replays) {
      lines.sort((a, b) => (this.state[a].batch_index ?? 0) - (this.state[b].batch_index ?? 0));
      // The same body as the lost request, or the server would refuse the key: every line still there, in order.
      if (lines.length === chunkSizes.get(key) && lines.every((line, index) => this.state[line].batch_index === index)) {
        this.replays.push({ key, lines });
      } else {
        for (const line of lines) delete this.state[line];
        this.pending.push(...lines);
      }
    }
    this.pending.sort((a, b) => a - b);
  }

  private requestOf(line: number): GenerationRequestInput {
    const input = this.byLine.get(line);
    if (!input?.ok) throw new Error(`line ${line} has no request`);
    return input.request;
  }

  /**
   * One POST /v1/batches for the chunk. Its Idempotency-Key is in the state file before the
   * request leaves, so if the answer is lost (a crash, a kill, a dropped connection) the next run
   * sends the same request under the same key and the API replays the batch it created instead
   * of creating another. The API validates a batch as a whole and names the failing entries
   * (`requests.<i>.<field>`): those lines are recorded as rejected and the rest is sent again,
   * so one bad line never holds back the others.
   */
  private async submit(lines: readonly number[], replayKey?: string): Promise<void> {
    let remaining = [...lines];
    let idempotencyKey = replayKey ?? randomUUID();
    while (remaining.length > 0) {
      for (const [index, line] of remaining.entries()) {
        this.set(line, { hash: this.byLine.get(line)?.hash ?? '', status: 'submitting', idempotency_key: idempotencyKey, batch_index: index });
      }
      await this.options.store.flush();
      let page: BatchPage;
      try {
        page = await this.options.client.createBatch({ requests: remaining.map((line) => this.requestOf(line)) }, { idempotencyKey });
      } catch (error) {
        if (error instanceof AtelierApiError && error.status === 429 && error.code === 'queue_limit_reached' && this.active.size > 0) {
          // Refused, so nothing was created: wait for this run's own generations to make room.
          this.limit = Math.max(1, this.active.size);
          this.options.log(`the farm's queue limit for this key is reached; holding at ${this.limit} in flight`);
          for (const line of remaining) delete this.state[line];
          this.pending.unshift(...remaining);
          await this.options.store.flush();
          return;
        }
        if (error instanceof AtelierApiError && error.code === 'idempotency_key_reused') {
          // The lines changed since the lost request; this is a new one.
          idempotencyKey = randomUUID();
          continue;
        }
        // Anything else leaves the lines `submitting` with their key: the next run replays exactly this request.
        if (!(error instanceof AtelierApiError) || error.status !== 400) throw error;
        const problems = new Map<number, string[]>();
        for (const detail of error.details) {
          const match = /^requests\.(\d+)\.?(.*)$/.exec(detail.field);
          if (!match || Number(match[1]) >= remaining.length) continue;
          const index = Number(match[1]);
          problems.set(index, [...(problems.get(index) ?? []), match[2] ? `${match[2]}: ${detail.message}` : detail.message]);
        }
        if (problems.size === 0 && remaining.length > 1 && error.details.some((detail) => detail.field === 'requests')) {
          // The array itself was refused (a server with a smaller MAX_BATCH_SIZE): halve the chunk.
          const half = Math.ceil(remaining.length / 2);
          await this.submit(remaining.slice(0, half));
          await this.submit(remaining.slice(half));
          return;
        }
        if (problems.size === 0) {
          for (const line of remaining) this.reject(line, error.code, error.message);
          break;
        }
        for (const [index, messages] of problems) this.reject(remaining[index], error.code, messages.join('; '));
        remaining = remaining.filter((_, index) => !problems.has(index));
        // Another body is another request: a key is never reused for it.
        idempotencyKey = randomUUID();
        continue;
      }
      const ids = page.generations.data.map((entry) => entry.id);
      for (const [index, line] of remaining.entries()) {
        const generationId = ids[index];
        this.set(line, {
          hash: this.byLine.get(line)?.hash ?? '',
          status: generationId ? 'queued' : 'submitted',
          batch_id: page.id,
          batch_index: index,
          ...(generationId ? { generation_id: generationId } : {}),
        });
        this.active.add(line);
      }
      break;
    }
    await this.options.store.flush();
  }

  private reject(line: number, code: string, message: string): void {
    this.set(line, { hash: this.byLine.get(line)?.hash ?? '', status: 'rejected', error: { code, message } });
  }

  /** Learns every active line's status (one batch page per batch), then finishes the terminal ones. */
  private async poll(): Promise<void> {
    const { client, stop } = this.options;
    const byBatch = new Map<string, Map<number, number>>();
    const loose: number[] = [];
    for (const line of this.active) {
      const entry = this.state[line];
      if (entry.batch_id !== undefined && entry.batch_index !== undefined) {
        const lines = byBatch.get(entry.batch_id) ?? new Map<number, number>();
        lines.set(entry.batch_index, line);
        byBatch.set(entry.batch_id, lines);
      } else {
        loose.push(line);
      }
    }
    for (const [batchId, lines] of byBatch) {
      const indices = [...lines.keys()];
      const last = Math.max(...indices);
      for (let offset = Math.min(...indices); offset <= last; offset += MAX_CHUNK) {
        let page: BatchPage;
        try {
          page = await client.getBatch(batchId, { offset, limit: Math.min(MAX_CHUNK, last - offset + 1), signal: stop });
        } catch (error) {
          if (error instanceof AtelierApiError && error.status === 404) {
            this.resubmit([...lines.values()], `batch ${batchId} no longer exists on the server`);
            break;
          }
          throw error;
        }
        for (const [position, entry] of page.generations.data.entries()) {
          const line = lines.get(page.generations.offset + position);
          if (line === undefined) continue;
          if (entry.status === 'unknown') {
            this.resubmit([line], `generation ${entry.id} no longer exists on the server`);
            continue;
          }
          const current = this.state[line];
          if (current.generation_id !== entry.id || current.status !== entry.status) {
            this.set(line, { ...current, generation_id: entry.id, status: entry.status });
            this.options.store.markDirty();
          }
        }
      }
    }
    const finished = [...this.active].filter((line) => ['succeeded', 'failed', 'canceled'].includes(this.state[line].status) || loose.includes(line));
    await mapLimit(finished, DOWNLOAD_LANES, (line) => this.finish(line));
  }

  /** Reads the finished generation and downloads its images, or records why it failed. */
  private async finish(line: number): Promise<void> {
    const { client, stop, outDir } = this.options;
    const entry = this.state[line];
    if (!entry.generation_id) return;
    let view: GenerationView;
    try {
      view = await client.getGeneration(entry.generation_id, { signal: stop });
    } catch (error) {
      if (error instanceof AtelierApiError && error.status === 404) {
        this.resubmit([line], `generation ${entry.generation_id} no longer exists on the server`);
        return;
      }
      throw error;
    }
    if (view.status === 'succeeded') {
      const files = await saveOutputs(client, view, outDir, stop);
      this.set(line, { ...entry, status: 'downloaded', files: files.map((file) => path.basename(file)), error: undefined });
      this.throughput.record(files.length);
      this.active.delete(line);
      await this.options.store.flush();
    } else if (view.status === 'failed' || view.status === 'canceled') {
      this.set(line, { ...entry, status: view.status, error: view.error ?? { code: view.status, message: `generation ${view.status}` } });
      this.active.delete(line);
      this.options.store.markDirty();
    } else if (entry.status !== view.status) {
      this.set(line, { ...entry, status: view.status });
    }
  }

  private resubmit(lines: readonly number[], why: string): void {
    this.options.log(`${why}; submitting line${lines.length === 1 ? '' : 's'} ${lines.join(', ')} again`);
    for (const line of lines) {
      this.active.delete(line);
      delete this.state[line];
      this.pending.push(line);
    }
    this.pending.sort((a, b) => a - b);
  }

  private set(line: number, entry: Omit<LineState, 'updated_at'>): void {
    const clean = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined)) as Omit<LineState, 'updated_at'>;
    this.state[line] = { ...clean, updated_at: new Date().toISOString() };
  }

  private progress(): BatchProgress {
    let done = 0;
    let failed = 0;
    let running = 0;
    let queued = 0;
    for (const input of this.options.lines) {
      const status = this.state[input.line]?.status;
      if (status === 'downloaded' && !this.active.has(input.line)) done++;
      else if (status !== undefined && FAILED.has(status)) failed++;
      else if (status === 'running' || status === 'succeeded') running++;
      else if (status === 'queued' || status === 'submitted' || status === 'submitting') queued++;
    }
    const remaining = this.options.lines.length - done - failed;
    return {
      total: this.options.lines.length,
      done,
      failed,
      running,
      queued,
      unsubmitted: this.pending.length,
      imagesPerMinute: this.throughput.imagesPerMinute(),
      etaMs: this.throughput.etaMs(remaining),
    };
  }

  private report(final = false): void {
    this.options.onProgress(this.progress(), final);
  }

  private outcome(): BatchOutcome {
    const failures: LineFailure[] = [];
    const files: string[] = [];
    let done = 0;
    let images = 0;
    for (const input of this.options.lines) {
      const entry = this.state[input.line];
      if (entry?.status === 'downloaded') {
        done++;
        images += entry.files?.length ?? 0;
        files.push(...(entry.files ?? []).map((file) => path.join(this.options.outDir, file)));
      } else if (entry && FAILED.has(entry.status)) {
        failures.push({ line: input.line, code: entry.error?.code ?? entry.status, message: entry.error?.message ?? entry.status, generation_id: entry.generation_id });
      }
    }
    return {
      total: this.options.lines.length,
      done,
      skipped: this.skipped,
      images,
      failures,
      unfinished: this.options.lines.length - done - failures.length,
      files,
    };
  }
}

async function sleepUnlessStopped(ms: number, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    }
    stop.addEventListener('abort', done, { once: true });
  });
}
