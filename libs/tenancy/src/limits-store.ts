import type { Cluster, Redis } from 'ioredis';
import { RESERVE_QUEUED_SCRIPT } from './key-admission.lua.js';
import { tenantLimitsPatchSchema, type TenantLimits, type TenantLimitsPatch } from './tenant-limits.js';

export interface RateDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
  readonly used: number;
}

export interface QueuedReservation {
  /** Unfinished jobs of the tenant with this reservation (refused ones included, for the message). */
  readonly after: number;
  readonly max: number;
  readonly allowed: boolean;
}

interface ReserveRunner {
  atelierReserveQueued(outstanding: string, limits: string, count: string, max: string): Promise<[number, number]>;
}

/** Limits per tenant (overrides in Redis over farm defaults) and the counters they are checked against. */
export class TenantLimitsStore {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
    private readonly defaults: TenantLimits,
  ) {
    this.redis.defineCommand('atelierReserveQueued', { numberOfKeys: 2, lua: RESERVE_QUEUED_SCRIPT });
  }

  private key(tenant: string, what: string): string {
    return `${this.prefix}:tenant:${tenant}:${what}`;
  }

  async limits(tenant: string): Promise<TenantLimits> {
    return this.limitsFrom(await this.redis.get(this.key(tenant, 'limits')));
  }

  /** The farm defaults under the tenant's stored overrides (`raw` as stored; empty for none). */
  limitsFrom(raw: string | null): TenantLimits {
    const overrides: TenantLimitsPatch = raw ? tenantLimitsPatchSchema.parse(JSON.parse(raw)) : {};
    return { ...this.defaults, ...overrides };
  }

  /** What every per-tenant key starts with (`<prefix>:tenant:`), for scripts that derive the tenant. */
  tenantKeyPrefix(): string {
    return `${this.prefix}:tenant:`;
  }

  async setLimits(tenant: string, patch: TenantLimitsPatch): Promise<TenantLimits> {
    const raw = await this.redis.get(this.key(tenant, 'limits'));
    const merged = { ...(raw ? tenantLimitsPatchSchema.parse(JSON.parse(raw)) : {}), ...patch };
    await this.redis.set(this.key(tenant, 'limits'), JSON.stringify(merged));
    return { ...this.defaults, ...merged };
  }

  /** Fixed one-minute window per key: cheap, and Retry-After is simply the rest of the window. */
  async hitRate(keyId: string, perMinute: number, now = Date.now()): Promise<RateDecision> {
    const key = this.rateKey(keyId, now);
    const [[, used]] = (await this.redis.multi().incr(key).expire(key, 120).exec()) as [[null, number], [null, number]];
    return this.rateDecision(used, perMinute, now);
  }

  /** The key's counter for the window `now` falls in (kept two minutes). */
  rateKey(keyId: string, now: number): string {
    return `${this.prefix}:rate:${keyId}:${Math.floor(now / 60_000)}`;
  }

  /** The verdict for a window that has counted `used` requests; Retry-After is the rest of the window. */
  rateDecision(used: number, perMinute: number, now: number): RateDecision {
    const window = Math.floor(now / 60_000);
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
    return { allowed: used <= perMinute, retryAfterSeconds, used };
  }

  /**
   * Raises the tenant's unfinished-jobs counter by `count` if that stays within its
   * `max_queued_jobs`, in one round trip; a refused reservation leaves the counter as it was.
   */
  async reserveQueued(tenant: string, count: number): Promise<QueuedReservation> {
    const runner = this.redis as unknown as ReserveRunner;
    const [after, max] = await runner.atelierReserveQueued(this.outstandingKey(tenant), this.key(tenant, 'limits'), String(count), String(this.defaults.max_queued_jobs));
    return { after, max, allowed: after <= max };
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
