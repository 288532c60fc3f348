import { readFile } from 'node:fs/promises';
import { ConfigError, type Environment } from './env.schema.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * TLS toward Redis. Certificates are always verified (Node's default): there is deliberately no
 * switch to turn verification off; a private CA is trusted by naming its PEM file instead.
 */
export interface RedisTls {
  /** PEM text of the CA that signed the server certificates (read from REDIS_TLS_CA_FILE). */
  readonly ca?: string;
  /** Name the certificate must carry when it differs from the host connected to (REDIS_TLS_SERVERNAME). */
  readonly servername?: string;
}

/** One of the three Redis topologies the farm can run against, resolved from the environment. */
export type RedisSettings =
  | { readonly mode: 'single'; readonly url: string; readonly tls?: RedisTls }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly masterName: string;
      readonly username?: string;
      readonly password?: string;
      readonly sentinelPassword?: string;
      readonly tls?: RedisTls;
    }
  | { readonly mode: 'cluster'; readonly nodes: readonly HostPort[]; readonly username?: string; readonly password?: string; readonly tls?: RedisTls };

export type RedisMode = RedisSettings['mode'];

/** `host:port` or `[v6]:port`; undefined when the entry is neither. */
export function parseHostPort(entry: string): HostPort | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/i.exec(entry.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

export function parseHostPortList(value: string): HostPort[] {
  return value
    .split(',')
    .filter((entry) => entry.trim() !== '')
    .map((entry) => parseHostPort(entry) as HostPort);
}

/**
 * The topology the (already validated) environment describes, or undefined when it names none.
 * The CA file is not read here: see `loadRedisSettings`.
 */
export function redisSettingsOf(env: Environment, ca?: string): RedisSettings | undefined {
  const tlsWanted = env.REDIS_URL?.startsWith('rediss://') || env.REDIS_TLS;
  const tls: RedisTls | undefined = tlsWanted ? { ...(ca !== undefined && { ca }), ...(env.REDIS_TLS_SERVERNAME && { servername: env.REDIS_TLS_SERVERNAME }) } : undefined;
  const credentials = { ...(env.REDIS_USERNAME && { username: env.REDIS_USERNAME }), ...(env.REDIS_PASSWORD && { password: env.REDIS_PASSWORD }) };
  if (env.REDIS_URL) return { mode: 'single', url: env.REDIS_URL, ...(tls && { tls }) };
  if (env.REDIS_SENTINELS) {
    return {
      mode: 'sentinel',
      sentinels: parseHostPortList(env.REDIS_SENTINELS),
      masterName: env.REDIS_SENTINEL_MASTER as string,
      ...credentials,
      ...(env.REDIS_SENTINEL_PASSWORD && { sentinelPassword: env.REDIS_SENTINEL_PASSWORD }),
      ...(tls && { tls }),
    };
  }
  if (env.REDIS_CLUSTER_NODES) return { mode: 'cluster', nodes: parseHostPortList(env.REDIS_CLUSTER_NODES), ...credentials, ...(tls && { tls }) };
  return undefined;
}

/** Resolves the topology and reads the CA file, so an unreadable file stops start-up naming its variable. */
export async function loadRedisSettings(env: Environment): Promise<RedisSettings> {
  let ca: string | undefined;
  if (env.REDIS_TLS_CA_FILE) {
    try {
      ca = await readFile(env.REDIS_TLS_CA_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError([`REDIS_TLS_CA_FILE=${JSON.stringify(env.REDIS_TLS_CA_FILE)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError([`REDIS_TLS_CA_FILE=${JSON.stringify(env.REDIS_TLS_CA_FILE)}: not a PEM certificate file`]);
  }
  const settings = redisSettingsOf(env, ca);
  if (!settings) {
    throw new ConfigError([
      'REDIS_URL="": required (e.g. redis://localhost:6379), or REDIS_SENTINELS with REDIS_SENTINEL_MASTER, or REDIS_CLUSTER_NODES; `npm start` starts a private Redis for you',
    ]);
  }
  return settings;
}
