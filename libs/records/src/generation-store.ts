import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@atelier/queue';
import {
  GenerationStatus,
  WebhookEvent,
  readResolvedGeneration,
  type AppliedAdaptersView,
  type GenerationError,
  type GenerationRecord,
  type GenerationTimings,
  type ResolvedGeneration,
  type StoredOutput,
} from '@atelier/contracts';
import type { RedisKeys } from '@atelier/queue';
import { TRANSITION_SCRIPT } from './transition.lua.js';

export interface TransitionResult {
  readonly applied: boolean;
  readonly previous: GenerationStatus | undefined;
  readonly batchCompleted: boolean;
  /** Whether the transition appended its webhook event to the outbox (in the same atomic step). */
  readonly eventAppended: boolean;
}

/** The outbox event a transition appends; `firstStartOnly`: only when a queued job starts its first attempt. */
interface TransitionEvent {
  readonly event: WebhookEvent;
  readonly firstStartOnly?: boolean;
}

/** Event ids name one event for good: webhook message ids (and so BullMQ job ids) derive from them. */
export function newEventId(): string {
  return `evt_${randomUUID().replaceAll('-', '')}`;
}

type FieldValues = Record<string, string | number>;

/** Enough of a generation to move it: its id, its batch (counters) and its tenant (quotas). */
export interface GenerationRef {
  readonly id: string;
  readonly batchId?: string;
  readonly tenant: string;
}

export function refOf(record: Pick<GenerationRecord, 'id' | 'batch_id' | 'tenant'>): GenerationRef {
  return { id: record.id, batchId: record.batch_id, tenant: record.tenant };
}

const RECORD_TTL_SECONDS = 30 * 24 * 3600;

/** Generation records in Redis: created by the API, advanced by workers, read by both. */
export class GenerationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis.defineCommand('atelierTransition', { numberOfKeys: 4, lua: TRANSITION_SCRIPT });
  }

  /** Adds the `create` command for many records to a MULTI (used for batches of thousands). */
  addCreate(multi: ReturnType<RedisClient['multi']>, input: NewGeneration): void {
    const key = this.keys.generation(input.id);
    multi.hset(key, createdFields(input));
    multi.expire(key, RECORD_TTL_SECONDS);
    const index = this.keys.tenantGenerations(input.tenant);
    multi.zadd(index, Date.parse(input.createdAt), input.id);
    multi.zremrangebyrank(index, 0, -10_001);
  }

  /** The record `addCreate` writes, as `get` would read it back: a submit answers without a re-read. */
  created(input: NewGeneration): GenerationRecord {
    return toRecord(Object.fromEntries(Object.entries(createdFields(input)).map(([name, value]) => [name, String(value)])));
  }

  /** The tenant's most recent generations, newest first (the last 10,000 are indexed). */
  async recent(tenant: string, offset: number, limit: number): Promise<GenerationRecord[]> {
    const ids = await this.redis.zrevrange(this.keys.tenantGenerations(tenant), offset, offset + limit - 1);
    return (await this.getMany(ids)).filter((record): record is GenerationRecord => record !== undefined);
  }

  async get(id: string): Promise<GenerationRecord | undefined> {
    const fields = await this.redis.hgetall(this.keys.generation(id));
    if (!fields.status) return undefined;
    return toRecord(fields);
  }

  async getMany(ids: readonly string[]): Promise<Array<GenerationRecord | undefined>> {
    const multi = this.redis.multi();
    for (const id of ids) multi.hgetall(this.keys.generation(id));
    const results = (await multi.exec()) ?? [];
    return results.map(([, value]) => {
      const fields = value as Record<string, string>;
      return fields?.status ? toRecord(fields) : undefined;
    });
  }

  async markStarted(ref: GenerationRef, workerId: string, attempt: number, now: Date): Promise<TransitionResult> {
    return this.transition(
      ref,
      GenerationStatus.Running,
      [GenerationStatus.Queued, GenerationStatus.Running],
      { worker_id: workerId, attempts: attempt, started_at: now.toISOString() },
      { event: WebhookEvent.GenerationStarted, firstStartOnly: true },
    );
  }

  /** A retry hands the job back: visible as queued again, attempts kept. */
  async markRequeued(ref: GenerationRef, error: GenerationError): Promise<TransitionResult> {
    return this.transition(ref, GenerationStatus.Queued, [GenerationStatus.Running], { last_error: JSON.stringify(error) }, undefined);
  }

  async markSucceeded(
    ref: GenerationRef,
    outputs: readonly StoredOutput[],
    timings: GenerationTimings,
    now: Date,
    adapters?: AppliedAdaptersView,
  ): Promise<TransitionResult> {
    return this.transition(
      ref,
      GenerationStatus.Succeeded,
      [GenerationStatus.Running],
      { outputs: JSON.stringify(outputs), adapters: adapters ? JSON.stringify(adapters) : '', timings: JSON.stringify(timings), finished_at: now.toISOString() },
      { event: WebhookEvent.GenerationSucceeded },
    );
  }

  async markFailed(ref: GenerationRef, error: GenerationError, timings: GenerationTimings, now: Date): Promise<TransitionResult> {
    return this.transition(
      ref,
      GenerationStatus.Failed,
      [GenerationStatus.Queued, GenerationStatus.Running],
      { error: JSON.stringify(error), timings: JSON.stringify(timings), finished_at: now.toISOString() },
      { event: WebhookEvent.GenerationFailed },
    );
  }

  async markCanceled(ref: GenerationRef, from: readonly GenerationStatus[], now: Date): Promise<TransitionResult> {
    return this.transition(
      ref,
      GenerationStatus.Canceled,
      from,
      { error: JSON.stringify({ code: 'canceled', message: 'canceled by request' }), finished_at: now.toISOString() },
      { event: WebhookEvent.GenerationCanceled },
    );
  }

  async requestCancel(id: string): Promise<void> {
    await this.redis.hset(this.keys.generation(id), 'cancel_requested', 1);
  }

  /** Fire-and-forget from the denoising loop's progress callback; never awaited per step. */
  async writeProgress(id: string, step: number, total: number): Promise<void> {
    await this.redis.hset(this.keys.generation(id), 'progress_step', step, 'progress_total', total);
  }

  private async transition(
    ref: GenerationRef,
    to: GenerationStatus,
    from: readonly GenerationStatus[],
    fields: FieldValues,
    event: TransitionEvent | undefined,
  ): Promise<TransitionResult> {
    const flat = Object.entries(fields).flatMap(([key, value]) => [key, String(value)]);
    const runner = this.redis as unknown as {
      atelierTransition(k1: string, k2: string, k3: string, k4: string, ...args: string[]): Promise<[number, string, number, number]>;
    };
    const [applied, previous, completed, appended] = await runner.atelierTransition(
      this.keys.generation(ref.id),
      ref.batchId ? this.keys.batch(ref.batchId) : this.keys.absent(),
      this.keys.tenantOutstanding(ref.tenant),
      this.keys.outbox(),
      to,
      from.join(','),
      new Date().toISOString(),
      event?.event ?? '',
      newEventId(),
      newEventId(),
      event?.firstStartOnly ? 'first-start' : '',
      ...flat,
    );
    return {
      applied: applied === 1,
      previous: previous ? (previous as GenerationStatus) : undefined,
      batchCompleted: completed === 1,
      eventAppended: appended === 1,
    };
  }

  /**
   * The record an outbox snapshot describes: the snapshot's fields plus the immutable `request`,
   * read from the live record (undefined once that record has expired).
   */
  async fromSnapshot(snapshot: Record<string, string>): Promise<GenerationRecord | undefined> {
    const request = await this.redis.hget(this.keys.generation(snapshot.id ?? ''), 'request');
    if (!request || !snapshot.status) return undefined;
    return toRecord({ ...snapshot, request });
  }
}

function parseJson<T>(value: string | undefined, fallback: T): T {
  return value ? (JSON.parse(value) as T) : fallback;
}

export interface NewGeneration {
  readonly id: string;
  readonly tenant: string;
  readonly queue: string;
  readonly request: ResolvedGeneration;
  readonly batchId?: string;
  readonly warnings: readonly string[];
  readonly createdAt: string;
}

function createdFields(input: NewGeneration): Record<string, string | number> {
  return {
    id: input.id,
    tenant: input.tenant,
    queue: input.queue,
    status: GenerationStatus.Queued,
    request: JSON.stringify(input.request),
    batch_id: input.batchId ?? '',
    warnings: JSON.stringify(input.warnings),
    progress_step: 0,
    progress_total: input.request.num_inference_steps,
    attempts: 0,
    cancel_requested: 0,
    created_at: input.createdAt,
  };
}

function toRecord(fields: Record<string, string>): GenerationRecord {
  return {
    id: fields.id,
    tenant: fields.tenant || 'local',
    queue: fields.queue || 'generation',
    status: fields.status as GenerationStatus,
    request: readResolvedGeneration(JSON.parse(fields.request)),
    batch_id: fields.batch_id || undefined,
    progress: { step: Number(fields.progress_step ?? 0), total: Number(fields.progress_total ?? 0) },
    outputs: parseJson<StoredOutput[]>(fields.outputs, []),
    adapters: parseJson<AppliedAdaptersView | undefined>(fields.adapters, undefined),
    error: parseJson<GenerationError | undefined>(fields.error, undefined),
    timings: parseJson<GenerationTimings>(fields.timings, {}),
    warnings: parseJson<string[]>(fields.warnings, []),
    attempts: Number(fields.attempts ?? 0),
    worker_id: fields.worker_id || undefined,
    cancel_requested: fields.cancel_requested === '1',
    created_at: fields.created_at,
    started_at: fields.started_at || undefined,
    finished_at: fields.finished_at || undefined,
  };
}
