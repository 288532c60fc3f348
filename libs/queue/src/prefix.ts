import type { RedisMode } from '@atelier/config';

/**
 * The prefix of every key Atelier writes: BullMQ's (`<prefix>:<queue>:...`) and its own
 * (`RedisKeys`, `<prefix>:farm:...`). On a Cluster the prefix is a hash tag, `{atelier}`, so every
 * key hashes to one slot: BullMQ's scripts and our transition + outbox scripts touch several keys
 * at once and Redis Cluster refuses a script whose keys live in different slots. A single Redis or
 * Sentinel keeps the historical `atelier` prefix so an existing deployment finds its keys again.
 */
export function bullmqPrefix(queuePrefix: string, mode: RedisMode): string {
  return mode === 'cluster' ? `{${queuePrefix}}` : queuePrefix;
}
