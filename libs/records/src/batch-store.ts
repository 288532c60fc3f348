import type { RedisClient } from '@atelier/queue';
import { ALL_STATUSES, GenerationStatus, webhookTargetSchema, type WebhookTarget } from '@atelier/contracts';
import type { RedisKeys } from '@atelier/queue';

export interface BatchRecord {
  readonly id: string;
  readonly tenant: string;
  readonly total: number;
  readonly counts: Record<GenerationStatus, number>;
  readonly webhook?: WebhookTarget;
  readonly created_at: string;
  readonly completed_at?: string;
}

const BATCH_TTL_SECONDS = 30 * 24 * 3600;

export class BatchStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  addCreate(
    multi: ReturnType<RedisClient['multi']>,
    input: { id: string; tenant: string; generationIds: readonly string[]; webhook?: WebhookTarget; createdAt: string },
  ): void {
    const key = this.keys.batch(input.id);
    const itemsKey = this.keys.batchItems(input.id);
    multi.hset(key, {
      id: input.id,
      tenant: input.tenant,
      total: input.generationIds.length,
      [GenerationStatus.Queued]: input.generationIds.length,
      webhook: input.webhook ? JSON.stringify(input.webhook) : '',
      created_at: input.createdAt,
    });
    for (let start = 0; start < input.generationIds.length; start += 1000) {
      multi.rpush(itemsKey, ...input.generationIds.slice(start, start + 1000));
    }
    multi.expire(key, BATCH_TTL_SECONDS);
    multi.expire(itemsKey, BATCH_TTL_SECONDS);
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    return batchFromFields(await this.redis.hgetall(this.keys.batch(id)));
  }

  async items(id: string, offset: number, limit: number): Promise<string[]> {
    return this.redis.lrange(this.keys.batchItems(id), offset, offset + limit - 1);
  }
}

/** A batch hash's fields (live, or an outbox snapshot of them) as a record. */
export function batchFromFields(fields: Record<string, string>): BatchRecord | undefined {
  if (!fields.id) return undefined;
  const counts = Object.fromEntries(ALL_STATUSES.map((status) => [status, Number(fields[status] ?? 0)])) as Record<GenerationStatus, number>;
  return {
    id: fields.id,
    tenant: fields.tenant || 'local',
    total: Number(fields.total),
    counts,
    webhook: fields.webhook ? webhookTargetSchema.parse(JSON.parse(fields.webhook)) : undefined,
    created_at: fields.created_at,
    completed_at: fields.completed_at || undefined,
  };
}
