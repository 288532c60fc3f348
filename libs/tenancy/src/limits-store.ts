import type { Redis } from 'ioredis';
import { tenantLimitsPatchSchema, type TenantLimits, type TenantLimitsPatch } from './tenant-limits.js';

export interface RateDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
  readonly used: number;
}

/** Limits per tenant (overrides in Redis over farm defaults) and the counters they are checked against. */
export class TenantLimitsStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly defaults: TenantLimits,
  ) {}

  private key(tenant: string, what: string): string {
    return `${this.prefix}:tenant:${tenant}:${what}`;
  }

  async limits(tenant: string): Promise<TenantLimits> {
    const raw = await this.redis.get(this.key(tenant, 'limits'));
    const overrides: TenantLimitsPatch = raw ? tenantLimitsPatchSchema.parse(JSON.parse(raw)) : {};
    return { ...this.defaults, ...overrides };
  }

  async setLimits(tenant: string, patch: TenantLimitsPatch): Promise<TenantLimits> {
    const raw = await this.redis.get(this.key(tenant, 'limits'));
    const merged = { ...(raw ? tenantLimitsPatchSchema.parse(JSON.parse(raw)) : {}), ...patch };
    await this.redis.set(this.key(tenant, 'limits'), JSON.stringify(merged));
    return { ...this.defaults, ...merged };
  }

  /** Fixed one-minute window per key: cheap, and Retry-After is simply the rest of the window. */
  async hitRate(keyId: string, perMinute: number, now = Date.now()): Promise<RateDecision> {
    const window = Math.floor(now / 60_000);
    const key = `${this.prefix}:rate:${keyId}:${window}`;
    const [[, used]] = (await this.redis.multi().incr(key).expire(key, 120).exec()) as [[null, number], [null, number]];
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
    return { allowed: used <= perMinute, retryAfterSeconds, used };
  }

  /** Jobs accepted and not yet finished, per tenant: drives both queue limits and fair priorities. */
  outstandingKey(tenant: string): string {
    return this.key(tenant, 'outstanding');
  }

  runningKey(tenant: string): string {
    return this.key(tenant, 'running');
  }

  async outstanding(tenant: string): Promise<number> {
    return Number((await this.redis.get(this.outstandingKey(tenant))) ?? 0);
  }
}
