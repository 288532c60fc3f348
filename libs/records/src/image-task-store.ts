import type { RedisClient, RedisKeys } from '@atelier/queue';
import {
  GenerationStatus,
  TERMINAL_STATUSES,
  imageTaskEvent,
  resolvedImageTaskSchema,
  type ImageTaskEventState,
  type ImageTaskKind,
  type ImageTaskOutput,
  type ImageTaskRecord,
  type ImageTaskStatus,
  type ResolvedImageTask,
} from '@atelier/contracts';
import { newEventId } from './generation-store.js';
import { OUTBOX_APPEND_LUA } from './outbox.lua.js';

const KEEP_SECONDS = 30 * 24 * 3600;

/**
 * Moves an image task from an allowed status to a new one and appends its webhook event to the
 * outbox in the same atomic step, so a terminal state is written once whoever races for it (the
 * worker finishing vs. the API canceling) and no crash separates a move from its notification.
 * The move that ends a task also lowers its tenant's unfinished-jobs counter (the queue quota).
 * KEYS[1] task hash, KEYS[2] outbox stream, KEYS[3] the tenant's outstanding-jobs counter; ARGV[1] new status, ARGV[2] allowed previous statuses
 * (comma separated), ARGV[3] event ("" for none), ARGV[4] event id, ARGV[5] now (ISO),
 * ARGV[6] "first-start" to append only when a queued task starts its first attempt, ARGV[7..]
 * field/value pairs. Returns {applied, previous status}.
 */
const TRANSITION = `${OUTBOX_APPEND_LUA}
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {0, ''} end
local allowed = false
for status in string.gmatch(ARGV[2], '[^,]+') do
  if status == current then allowed = true end
end
if not allowed then return {0, current} end
local first_start = current == 'queued' and (redis.call('HGET', KEYS[1], 'attempts') or '0') == '0'
local args = {}
for i = 7, #ARGV do args[#args + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(args))
local terminal = { succeeded = true, failed = true, canceled = true }
if terminal[ARGV[1]] and not terminal[current] then
  if tonumber(redis.call('DECR', KEYS[3])) < 0 then redis.call('SET', KEYS[3], 0) end
end
if ARGV[3] ~= '' and (ARGV[6] ~= 'first-start' or first_start) then
  outbox_append(KEYS[2], ARGV[4], ARGV[3], 'image_task', KEYS[1], ARGV[5])
end
return {1, current}
`;

/** Enough of a task to move it: its id, its kind (event names) and its tenant (queue quota). */
export interface ImageTaskRef {
  readonly id: string;
  readonly kind: ImageTaskKind;
  readonly tenant: string;
}

export interface ImageTaskMove {
  readonly applied: boolean;
  readonly previous: ImageTaskStatus | undefined;
}

export interface NewImageTask {
  readonly id: string;
  readonly tenant: string;
  readonly request: ResolvedImageTask;
  readonly queue: string;
  readonly createdAt: string;
}

const { Queued, Running, Succeeded, Failed, Canceled } = GenerationStatus;

function parse<T>(value: string | undefined, fallback: T): T {
  return value ? (JSON.parse(value) as T) : fallback;
}

/** Image task records in Redis (`<prefix>:farm:image-task:<id>`): created by the API, advanced by workers. */
export class ImageTaskStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Adds the record's creation to a MULTI (the API enqueues the job in the same one). */
  addCreate(multi: ReturnType<RedisClient['multi']>, input: NewImageTask): void {
    const key = this.keys.imageTask(input.id);
    multi.hset(key, {
      id: input.id,
      tenant: input.tenant,
      kind: input.request.kind,
      status: Queued,
      request: JSON.stringify(input.request),
      queue: input.queue,
      progress: JSON.stringify({ step: 0, total: 1 }),
      attempts: 0,
      cancel_requested: 0,
      created_at: input.createdAt,
    });
    multi.expire(key, KEEP_SECONDS);
  }

  async get(id: string): Promise<ImageTaskRecord | undefined> {
    return imageTaskFromFields(await this.redis.hgetall(this.keys.imageTask(id)));
  }

  /** The record an outbox snapshot describes, with the immutable `request` read from the live record. */
  async fromSnapshot(snapshot: Record<string, string>): Promise<ImageTaskRecord | undefined> {
    const request = await this.redis.hget(this.keys.imageTask(snapshot.id ?? ''), 'request');
    return request ? imageTaskFromFields({ ...snapshot, request }) : undefined;
  }

  private async move(
    task: ImageTaskRef,
    to: ImageTaskStatus,
    from: readonly ImageTaskStatus[],
    state: ImageTaskEventState | undefined,
    fields: Record<string, string | number>,
    firstStartOnly = false,
  ): Promise<ImageTaskMove> {
    const flat = Object.entries(fields).flatMap(([name, value]) => [name, String(value)]);
    const event = state ? imageTaskEvent(task.kind, state) : '';
    const args = [to, from.join(','), event, newEventId(), new Date().toISOString(), firstStartOnly ? 'first-start' : '', ...flat];
    const [applied, previous] = (await this.redis.eval(TRANSITION, 3, this.keys.imageTask(task.id), this.keys.outbox(), this.keys.tenantOutstanding(task.tenant), ...args)) as [number, string];
    return { applied: applied === 1, previous: previous === '' ? undefined : (previous as ImageTaskStatus) };
  }

  /** Running (also from running: a retried attempt); `<kind>.started` on the first attempt only. */
  markStarted(task: ImageTaskRef, workerId: string, attempt: number, now: Date): Promise<ImageTaskMove> {
    return this.move(task, Running, [Queued, Running], 'started', { worker_id: workerId, attempts: attempt, started_at: now.toISOString() }, true);
  }

  markSucceeded(
    task: ImageTaskRef,
    outcome: { outputs: readonly ImageTaskOutput[]; metadata: Record<string, unknown>; timings: NonNullable<ImageTaskRecord['timings']>; progress?: { step: number; total: number } },
    now: Date,
  ): Promise<ImageTaskMove> {
    // A finished task shows all of its last reported steps done (e.g. 81 of 81 tiles), else 1 of 1.
    const total = outcome.progress?.total ?? 1;
    return this.move(task, Succeeded, [Running], 'succeeded', {
      outputs: JSON.stringify(outcome.outputs),
      metadata: JSON.stringify(outcome.metadata),
      timings: JSON.stringify(outcome.timings),
      progress: JSON.stringify({ step: total, total }),
      finished_at: now.toISOString(),
    });
  }

  markFailed(task: ImageTaskRef, error: { code: string; message: string }, now: Date): Promise<ImageTaskMove> {
    return this.move(task, Failed, [Queued, Running], 'failed', { error: JSON.stringify(error), finished_at: now.toISOString() });
  }

  markCanceled(task: ImageTaskRef, from: readonly ImageTaskStatus[], now: Date): Promise<ImageTaskMove> {
    return this.move(task, Canceled, from, 'canceled', { error: JSON.stringify({ code: 'canceled', message: 'canceled by request' }), finished_at: now.toISOString() });
  }

  /** Back to queued (no webhook): a retry, or a shutting-down worker handing the task back. */
  markRequeued(task: ImageTaskRef, error: { code: string; message: string }): Promise<ImageTaskMove> {
    return this.move(task, Queued, [Running], undefined, { error: JSON.stringify(error) });
  }

  async requestCancel(id: string): Promise<void> {
    await this.redis.hset(this.keys.imageTask(id), 'cancel_requested', 1);
  }

  async writeProgress(id: string, step: number, total: number): Promise<void> {
    await this.redis.hset(this.keys.imageTask(id), 'progress', JSON.stringify({ step, total }));
  }

  static isTerminal(status: ImageTaskStatus): boolean {
    return TERMINAL_STATUSES.has(status);
  }
}

/** A task hash's fields (live, or an outbox snapshot plus `request`) as a record. */
export function imageTaskFromFields(fields: Record<string, string>): ImageTaskRecord | undefined {
  if (!fields.status || !fields.request) return undefined;
  const request = resolvedImageTaskSchema.parse(JSON.parse(fields.request));
  return {
    id: fields.id,
    tenant: fields.tenant,
    kind: request.kind,
    status: fields.status as ImageTaskStatus,
    request,
    queue: fields.queue,
    progress: parse(fields.progress, { step: 0, total: 1 }),
    outputs: parse<ImageTaskOutput[]>(fields.outputs, []),
    metadata: parse<Record<string, unknown> | undefined>(fields.metadata, undefined),
    error: parse(fields.error, undefined),
    timings: parse(fields.timings, undefined),
    attempts: Number(fields.attempts ?? 0),
    worker_id: fields.worker_id || undefined,
    cancel_requested: fields.cancel_requested === '1',
    created_at: fields.created_at,
    started_at: fields.started_at || undefined,
    finished_at: fields.finished_at || undefined,
  };
}
