/** The Redis connection variables as the schema has parsed them, before they are combined. */
export interface RedisConnectionVariables {
  readonly REDIS_URL?: string;
  readonly REDIS_SENTINELS?: string;
  readonly REDIS_SENTINEL_MASTER?: string;
  readonly REDIS_SENTINEL_PASSWORD?: string;
  readonly REDIS_CLUSTER_NODES?: string;
  readonly REDIS_USERNAME?: string;
  readonly REDIS_PASSWORD?: string;
  readonly REDIS_TLS: boolean;
  readonly REDIS_TLS_CA_FILE?: string;
  readonly REDIS_TLS_SERVERNAME?: string;
}

export interface TopologyProblem {
  readonly variable: keyof RedisConnectionVariables;
  readonly message: string;
}

const TOPOLOGIES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/**
 * Rules across the Redis variables. A variable that would be silently ignored is an error: an
 * operator who sets a CA file on a plain redis:// URL believes the link is encrypted.
 */
export function redisTopologyProblems(env: RedisConnectionVariables): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const chosen = TOPOLOGIES.filter((name) => env[name]);
  for (const extra of chosen.slice(1)) problems.push({ variable: extra, message: `set together with ${chosen[0]}: choose one Redis topology (single URL, Sentinel or Cluster)` });
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER) problems.push({ variable: 'REDIS_SENTINEL_MASTER', message: 'required with REDIS_SENTINELS (the master name the sentinels monitor)' });
  for (const name of ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD'] as const) {
    if (env[name] && !env.REDIS_SENTINELS) problems.push({ variable: name, message: 'only meaningful with REDIS_SENTINELS' });
  }
  if (env.REDIS_URL) {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
      if (env[name]) problems.push({ variable: name, message: 'not used with REDIS_URL: put the credentials in the URL (rediss://user:password@host:port)' });
    }
    if (env.REDIS_TLS) problems.push({ variable: 'REDIS_TLS', message: 'not used with REDIS_URL: use a rediss:// URL for TLS' });
  }
  const tls = env.REDIS_TLS || env.REDIS_URL?.startsWith('rediss://');
  for (const name of ['REDIS_TLS_CA_FILE', 'REDIS_TLS_SERVERNAME'] as const) {
    if (env[name] && !tls) problems.push({ variable: name, message: 'needs TLS: use a rediss:// URL, or REDIS_TLS=true with REDIS_SENTINELS or REDIS_CLUSTER_NODES' });
  }
  return problems;
}
