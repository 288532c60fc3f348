import type { RedisClient } from '@atelier/queue';
import { z } from 'zod';
import { webhookJobSchema, type WebhookJob } from '@atelier/contracts';
import type { RedisKeys } from '@atelier/queue';

export const deliveryAttemptSchema = z.object({
  message_id: z.string(),
  event: z.string(),
  url: z.string(),
  attempt: z.number().int(),
  outcome: z.enum(['delivered', 'failed', 'retrying', 'dead_lettered', 'endpoint_disabled']),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number(),
  at: z.string(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

const deadLetterSchema = z.object({ id: z.string(), job: webhookJobSchema, reason: z.string(), at: z.string() });
export type DeadLetter = z.infer<typeof deadLetterSchema>;

const KEEP_SECONDS = 30 * 24 * 3600;

/**
 * Everything that happened to webhook deliveries: each attempt on the generation or batch it was
 * about, the dead-letter list of deliveries that exhausted their attempts, and endpoints a
 * receiver switched off with HTTP 410.
 */
export class WebhookLedger {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private attemptsKey(subject: WebhookJob['subject']): string {
    return `${this.keys.prefix}:${subject.kind}:${subject.id}:deliveries`;
  }
  private deadKey(tenant: string): string {
    return `${this.keys.prefix}:tenant:${tenant}:webhooks:dead`;
  }
  private disabledKey(tenant: string): string {
    return `${this.keys.prefix}:tenant:${tenant}:webhooks:disabled`;
  }

  async recordAttempt(subject: WebhookJob['subject'], attempt: DeliveryAttempt): Promise<void> {
    const key = this.attemptsKey(subject);
    await this.redis.multi().rpush(key, JSON.stringify(attempt)).ltrim(key, -200, -1).expire(key, KEEP_SECONDS).exec();
  }

  async attempts(subject: WebhookJob['subject']): Promise<DeliveryAttempt[]> {
    return (await this.redis.lrange(this.attemptsKey(subject), 0, -1)).map((raw) => deliveryAttemptSchema.parse(JSON.parse(raw)));
  }

  async deadLetter(job: WebhookJob, reason: string): Promise<void> {
    const entry: DeadLetter = { id: job.messageId, job, reason, at: new Date().toISOString() };
    await this.redis.hset(this.deadKey(job.tenant), job.messageId, JSON.stringify(entry));
  }

  async deadLetters(tenant: string): Promise<DeadLetter[]> {
    const all = await this.redis.hgetall(this.deadKey(tenant));
    return Object.values(all)
      .map((raw) => deadLetterSchema.parse(JSON.parse(raw)))
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Removes and returns a dead letter so it can be queued again. */
  async takeDeadLetter(tenant: string, id: string): Promise<DeadLetter | undefined> {
    const raw = await this.redis.hget(this.deadKey(tenant), id);
    if (!raw) return undefined;
    await this.redis.hdel(this.deadKey(tenant), id);
    return deadLetterSchema.parse(JSON.parse(raw));
  }

  async disableEndpoint(tenant: string, url: string): Promise<void> {
    await this.redis.sadd(this.disabledKey(tenant), url);
  }

  async enableEndpoint(tenant: string, url: string): Promise<boolean> {
    return (await this.redis.srem(this.disabledKey(tenant), url)) === 1;
  }

  async isDisabled(tenant: string, url: string): Promise<boolean> {
    return (await this.redis.sismember(this.disabledKey(tenant), url)) === 1;
  }

  async disabledEndpoints(tenant: string): Promise<string[]> {
    return (await this.redis.smembers(this.disabledKey(tenant))).sort();
  }
}
