import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisSettings, RedisTls } from '@atelier/config';

/** What every Atelier component talks to: one Redis (direct or found through Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Options a caller may tune per connection; topology, credentials and TLS come from the settings. */
export type ConnectionTuning = Pick<RedisOptions, 'maxRetriesPerRequest' | 'enableAutoPipelining' | 'enableOfflineQueue' | 'lazyConnect' | 'connectionName'>;

/**
 * The one place a Redis connection is made, for every use: BullMQ queues and workers, records,
 * pub/sub, the worker registry. BullMQ needs `maxRetriesPerRequest: null` on connections used by
 * workers (blocking commands), and it is harmless elsewhere, so it is the default everywhere.
 * A bare URL string is a single Redis (tests and tools that start their own server).
 */
export function createRedisConnection(settings: RedisSettings | string, tuning: ConnectionTuning = {}): RedisClient {
  const resolved: RedisSettings = typeof settings === 'string' ? { mode: 'single', url: settings } : settings;
  const base: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...tuning };
  switch (resolved.mode) {
    case 'single':
      return new Redis(resolved.url, { ...base, ...(resolved.tls && { tls: tlsOptions(resolved.tls) }) });
    case 'sentinel':
      return new Redis({
        ...base,
        sentinels: resolved.sentinels.map(({ host, port }) => ({ host, port })),
        name: resolved.masterName,
        username: resolved.username,
        password: resolved.password,
        sentinelPassword: resolved.sentinelPassword,
        // Subscribes to +switch-master so a failover is followed at once, not at the next error.
        failoverDetector: true,
        ...(resolved.tls && { tls: tlsOptions(resolved.tls), sentinelTLS: tlsOptions(resolved.tls), enableTLSForSentinelMode: true }),
      });
    case 'cluster': {
      const options: ClusterOptions = {
        enableReadyCheck: true,
        lazyConnect: base.lazyConnect,
        enableOfflineQueue: tuning.enableOfflineQueue ?? true,
        enableAutoPipelining: tuning.enableAutoPipelining ?? false,
        // Reads stay on masters: a replica may lag, and a job record read stale could undo a transition.
        scaleReads: 'master',
        // Keep retrying while a failover is in progress (the slot is briefly served by no one).
        clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        redisOptions: {
          maxRetriesPerRequest: base.maxRetriesPerRequest,
          connectionName: tuning.connectionName,
          username: resolved.username,
          password: resolved.password,
          ...(resolved.tls && { tls: tlsOptions(resolved.tls) }),
        },
      };
      return new Cluster(
        resolved.nodes.map(({ host, port }) => ({ host, port })),
        options,
      );
    }
  }
}

/** Verification stays on (Node's default); only the trusted CA and the expected name can be given. */
function tlsOptions(tls: RedisTls): ConnectionOptions {
  return { ...(tls.ca !== undefined && { ca: tls.ca }), ...(tls.servername !== undefined && { servername: tls.servername }) };
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

export type { Redis, Cluster };
