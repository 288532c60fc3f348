import type { Redis } from 'ioredis';
import { TrainingStatus, trainingRequestSchema, type TrainingCheckpointRef, type TrainingRecord, type TrainingRequest } from '#libs/contracts/src/index.js';
import type { RedisKeys } from '#libs/queue/src/index.js';

const TERMINAL = [TrainingStatus.Succeeded, TrainingStatus.Failed, TrainingStatus.Canceled] as const;
const KEEP_SECONDS = 30 * 24 * 3600;
const MAX_LOSSES = 200;

/** Moves a training to a status unless it already finished; ARGV[1] new status, ARGV[2..] field/value pairs. */
const TRANSITION = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 0 end
if current == 'succeeded' or current == 'failed' or current == 'canceled' then return 0 end
local args = {}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(args))
return 1
`;

function parse<T>(value: string | undefined, fallback: T): T {
  return value ? (JSON.parse(value) as T) : fallback;
}

/** Training jobs' state in Redis: written by the API at creation and by the training worker. */
export class TrainingStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  private key(id: string): string {
    return `${this.keys.prefix}:training:${id}`;
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
    const fields = await this.redis.hgetall(this.key(id));
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

  private async transition(id: string, status: TrainingStatus, fields: Record<string, string | number>): Promise<boolean> {
    const flat = Object.entries(fields).flatMap(([name, value]) => [name, String(value)]);
    return (await this.redis.eval(TRANSITION, 1, this.key(id), status, ...flat)) === 1;
  }

  markRunning(id: string, workerId: string, attempt: number): Promise<boolean> {
    return this.transition(id, TrainingStatus.Running, { worker_id: workerId, attempts: attempt, started_at: new Date().toISOString() });
  }

  markSucceeded(id: string, artifact: { key: string; sha256: string; size: number }, modelId: string): Promise<boolean> {
    return this.transition(id, TrainingStatus.Succeeded, { artifact: JSON.stringify(artifact), model_id: modelId, finished_at: new Date().toISOString() });
  }

  markFailed(id: string, error: { code: string; message: string }): Promise<boolean> {
    return this.transition(id, TrainingStatus.Failed, { error: JSON.stringify(error), finished_at: new Date().toISOString() });
  }

  markCanceled(id: string): Promise<boolean> {
    return this.transition(id, TrainingStatus.Canceled, { error: JSON.stringify({ code: 'canceled', message: 'canceled by request' }), finished_at: new Date().toISOString() });
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
