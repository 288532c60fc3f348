import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './redis-connection.js';

/**
 * Settings under which Redis may silently drop accepted jobs: an eviction policy other than
 * `noeviction`, or no persistence at all. Returned as warnings for the process to shout about.
 * On a Cluster every master holds part of the jobs, so each one is asked; through Sentinel the
 * client is connected to the current master, which is the one that matters.
 */
export async function redisGuaranteeWarnings(redis: RedisClient): Promise<string[]> {
  if (!isCluster(redis)) return nodeWarnings(redis, '');
  const masters = redis.nodes('master');
  const perNode = await Promise.all(masters.map((node) => nodeWarnings(node, `${node.options.host}:${node.options.port}: `)));
  return perNode.flat();
}

async function nodeWarnings(redis: Redis, label: string): Promise<string[]> {
  const warnings: string[] = [];
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') warnings.push(`${label}Redis maxmemory-policy is "${policy}": queued jobs can be evicted under memory pressure; set it to noeviction`);
    const [, aof] = (await redis.config('GET', 'appendonly')) as [string, string];
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    if (aof !== 'yes' && !save?.trim()) warnings.push(`${label}Redis has neither AOF nor RDB snapshots: a Redis restart loses every queued job; enable appendonly yes`);
  } catch (error) {
    // Managed Redis (and some proxies) refuse CONFIG: that is a reason to warn, never to stop.
    warnings.push(`${label}could not read Redis settings (CONFIG GET refused?): ${(error as Error).message}`);
  }
  return warnings;
}
