import type { RedisClient } from '@atelier/queue';
import { TrainingStatus, WebhookEvent, trainingRequestSchema, type TrainingCheckpointRef, type TrainingRecord, type TrainingRequest } from '@atelier/contracts';
import type { RedisKeys } from '@atelier/queue';
import { newEventId } from './generation-store.js';
import { OUTBOX_APPEND_LUA } from './outbox.lua.js';

const TERMINAL = [TrainingStatus.Succeeded, TrainingStatus.Failed, TrainingStatus.Canceled] as const;
const KEEP_SECONDS = 30 * 24 * 3600;
const MAX_LOSSES = 200;

/**
 * Moves a training to a status unless it already finished, and appends the webhook event of that
 * move to the outbox in the same atomic step. KEYS[1] training hash, KEYS[2] outbox stream;
 * ARGV[1] new status, ARGV[2] event ("" for none), ARGV[3] event id, ARGV[4] now (ISO),
 * ARGV[5] "first-start" to append only on the first attempt (attempts still 0), ARGV[6..]
 * field/value pairs.
 */
const TRANSITION = `${OUTBOX_APPEND_LUA}
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 0 end
if current == 'succeeded' or current == 'failed' or current == 'canceled' then return 0 end
local first_start = (redis.call('HGET', KEYS[1], 'attempts') or '0') == '0'
local args = {}
for i = 6, #ARGV do args[#args + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(args))
if ARGV[2] ~= '' and (ARGV[5] ~= 'first-start' or first_start) then
  outbox_append(KEYS[2], ARGV[3], ARGV[2], 'training', KEYS[1], ARGV[4])
end
return 1
`;

/** Appends a progress event (no status change) unless the training already finished. */
const PROGRESS_EVENT = `${OUTBOX_APPEND_LUA}
local current = redis.call('HGET', KEYS[1], 'status')
if not current or current == 'succeeded' or current == 'failed' or current == 'canceled' then return 0 end
outbox_append(KEYS[2], ARGV[1], ARGV[2], 'training', KEYS[1], ARGV[3])
return 1
`;

function parse<T>(value: string | undefined, fallback: T): T {
  return value ? (JSON.parse(value) as T) : fallback;
}

/** Training jobs' state in Redis: written by the API at creation and by the training worker. */
export class TrainingStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private key(id: string): string {
    return this.keys.training(id);
  }

  async create(input: { id: string; tenant: string; request: TrainingRequest; datasetKey: string; createdAt: string }): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(input.id), {
        id: input.id,
        tenant: input.tenant,
        status: TrainingStatus.Queued,
        request: JSON.stringify(input.request),
        dataset_key: input.datasetKey,
        progress: JSON.stringify({ step: 0, total: input.request.steps }),
        attempts: 0,
        cancel_requested: 0,
        created_at: input.createdAt,
      })
      .expire(this.key(input.id), KEEP_SECONDS)
      .exec();
  }

  async get(id: string): Promise<TrainingRecord | undefined> {
    return trainingFromFields(await this.redis.hgetall(this.key(id)));
  }

  /** The record an outbox snapshot describes, with the immutable `request` read from the live record. */
  async fromSnapshot(snapshot: Record<string, string>): Promise<TrainingRecord | undefined> {
    const request = await this.redis.hget(this.key(snapshot.id ?? ''), 'request');
    return request ? trainingFromFields({ ...snapshot, request }) : undefined;
  }

  private async transition(id: string, status: TrainingStatus, fields: Record<string, string | number>, event: WebhookEvent, firstStartOnly = false): Promise<boolean> {
    const flat = Object.entries(fields).flatMap(([name, value]) => [name, String(value)]);
    const args = [status, event, newEventId(), new Date().toISOString(), firstStartOnly ? 'first-start' : '', ...flat];
    return (await this.redis.eval(TRANSITION, 2, this.key(id), this.keys.outbox(), ...args)) === 1;
  }

  markRunning(id: string, workerId: string, attempt: number): Promise<boolean> {
    return this.transition(id, TrainingStatus.Running, { worker_id: workerId, attempts: attempt, started_at: new Date().toISOString() }, WebhookEvent.TrainingStarted, true);
  }

  markSucceeded(id: string, artifact: { key: string; sha256: string; size: number }, modelId: string): Promise<boolean> {
    return this.transition(id, TrainingStatus.Succeeded, { artifact: JSON.stringify(artifact), model_id: modelId, finished_at: new Date().toISOString() }, WebhookEvent.TrainingSucceeded);
  }

  markFailed(id: string, error: { code: string; message: string }): Promise<boolean> {
    return this.transition(id, TrainingStatus.Failed, { error: JSON.stringify(error), finished_at: new Date().toISOString() }, WebhookEvent.TrainingFailed);
  }

  markCanceled(id: string): Promise<boolean> {
    return this.transition(
      id,
      TrainingStatus.Canceled,
      { error: JSON.stringify({ code: 'canceled', message: 'canceled by request' }), finished_at: new Date().toISOString() },
      WebhookEvent.TrainingCanceled,
    );
  }

  /** Records a `training.progress` event with the training's state as it is now. */
  async appendProgressEvent(id: string): Promise<boolean> {
    return (await this.redis.eval(PROGRESS_EVENT, 2, this.key(id), this.keys.outbox(), newEventId(), WebhookEvent.TrainingProgress, new Date().toISOString())) === 1;
  }


  async markResumed(id: string, step: number): Promise<void> {
    await this.redis.hset(this.key(id), 'resumed_from_step', step);
  }

  async requestCancel(id: string): Promise<void> {
    await this.redis.hset(this.key(id), 'cancel_requested', 1);
  }

  async writeProgress(id: string, step: number, total: number, loss: number | undefined): Promise<void> {
    const record = await this.redis.hget(this.key(id), 'losses');
    const losses = parse<Array<{ step: number; loss: number }>>(record ?? undefined, []);
    if (loss !== undefined) losses.push({ step, loss });
    await this.redis.hset(this.key(id), 'progress', JSON.stringify({ step, total }), 'losses', JSON.stringify(losses.slice(-MAX_LOSSES)));
  }

  async addCheckpoint(id: string, checkpoint: TrainingCheckpointRef): Promise<void> {
    const current = parse<TrainingCheckpointRef[]>((await this.redis.hget(this.key(id), 'checkpoints')) ?? undefined, []);
    await this.redis.hset(this.key(id), 'checkpoints', JSON.stringify([...current.filter((entry) => entry.step !== checkpoint.step), checkpoint]));
  }

  async addSample(id: string, sample: { step: number; prompt: string; key: string }): Promise<void> {
    const current = parse<Array<{ step: number; prompt: string; key: string }>>((await this.redis.hget(this.key(id), 'samples')) ?? undefined, []);
    await this.redis.hset(this.key(id), 'samples', JSON.stringify([...current, sample].slice(-32)));
  }

  static isTerminal(status: TrainingStatus): boolean {
    return (TERMINAL as readonly string[]).includes(status);
  }
}

/** A training hash's fields (live, or an outbox snapshot plus `request`) as a record. */
export function trainingFromFields(fields: Record<string, string>): TrainingRecord | undefined {
  if (!fields.status) return undefined;
  return {
    id: fields.id,
    tenant: fields.tenant,
    status: fields.status as TrainingStatus,
    request: trainingRequestSchema.parse(JSON.parse(fields.request)),
    dataset_key: fields.dataset_key,
    progress: parse(fields.progress, { step: 0, total: 0 }),
    losses: parse(fields.losses, []),
    samples: parse(fields.samples, []),
    checkpoints: parse<TrainingCheckpointRef[]>(fields.checkpoints, []),
    artifact: parse(fields.artifact, undefined),
    model_id: fields.model_id || undefined,
    error: parse(fields.error, undefined),
    attempts: Number(fields.attempts ?? 0),
    resumed_from_step: Number(fields.resumed_from_step ?? 0),
    worker_id: fields.worker_id || undefined,
    cancel_requested: fields.cancel_requested === '1',
    created_at: fields.created_at,
    started_at: fields.started_at || undefined,
    finished_at: fields.finished_at || undefined,
  };
}
