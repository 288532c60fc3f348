import type { Redis } from 'ioredis';

/**
 * Settings under which Redis may silently drop accepted jobs: an eviction policy other than
 * `noeviction`, or no persistence at all. Returned as warnings for the process to shout about.
 */
export async function redisGuaranteeWarnings(redis: Redis): Promise<string[]> {
  const warnings: string[] = [];
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') warnings.push(`Redis maxmemory-policy is "${policy}": queued jobs can be evicted under memory pressure; set it to noeviction`);
    const [, aof] = (await redis.config('GET', 'appendonly')) as [string, string];
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    if (aof !== 'yes' && !save?.trim()) warnings.push('Redis has neither AOF nor RDB snapshots: a Redis restart loses every queued job; enable appendonly yes');
  } catch (error) {
    warnings.push(`could not read Redis settings (CONFIG GET refused?): ${(error as Error).message}`);
  }
  return warnings;
}
