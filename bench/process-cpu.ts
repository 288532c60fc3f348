import { readFileSync } from 'node:fs';
import type { RedisClient } from '@atelier/queue';

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux; undefined elsewhere).
 * On a shared, loaded machine wall-clock rates swing from run to run; CPU spent per request by
 * the process under test is what an optimisation actually changes.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the parenthesised command name: state is 3rd, utime 14th, stime 15th (1-based).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100;
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** CPU seconds the Redis server has used so far (INFO cpu: used_cpu_user + used_cpu_sys). */
export async function redisCpuSeconds(redis: RedisClient): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
