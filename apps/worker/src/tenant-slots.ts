import type { RedisClient } from '@atelier/queue';
import type { RedisKeys } from '@atelier/queue';
import type { TenantLimitsStore } from '@atelier/tenancy';

/** KEYS[1] running zset; ARGV: now, lease expiry, limit, job id. Returns 1 when a slot was taken. */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
return 1
`;

/**
 * A tenant's running jobs across the whole fleet, as a sorted set of job ids with lease expiries:
 * a worker that dies cannot leak a slot for longer than the job deadline.
 */
export class TenantSlots {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly limits: TenantLimitsStore,
    private readonly leaseMs: number,
  ) {}

  async acquire(tenant: string, jobId: string): Promise<boolean> {
    const { max_running_jobs: limit } = await this.limits.limits(tenant);
    const now = Date.now();
    const taken = await this.redis.eval(ACQUIRE, 1, this.keys.tenantRunning(tenant), now, now + this.leaseMs, limit, jobId);
    return taken === 1;
  }

  async release(tenant: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.tenantRunning(tenant), jobId);
  }
}
