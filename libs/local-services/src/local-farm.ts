import { randomBytes } from 'node:crypto';
import { findFreePort } from './free-port.js';
import { spawnRole, waitForHttp, type RoleProcess } from './farm-processes.js';
import { startPrivateRedis, type PrivateRedis } from './redis-server.js';

export interface LocalFarmOptions {
  /** Extra environment for both roles (storage settings, limits...). */
  readonly env?: NodeJS.ProcessEnv;
  readonly port?: number;
  readonly workers?: number;
  readonly output?: NodeJS.WritableStream;
  /** Use this Redis instead of starting a private one. */
  readonly redisUrl?: string;
  /**
   * Connection variables of a Redis the caller runs (REDIS_SENTINELS..., REDIS_CLUSTER_NODES...,
   * a rediss:// REDIS_URL with REDIS_TLS_CA_FILE): no private Redis is started.
   */
  readonly redisEnv?: NodeJS.ProcessEnv;
  /** A private Redis already started (e.g. in a container); the farm owns it and stops it. */
  readonly privateRedis?: PrivateRedis;
  readonly apiKey?: string;
  /** Wait until a worker has registered this model (default: the demo model). */
  readonly waitForModel?: string | false;
  /** Run the private Redis with AOF (everysec), as production should. */
  readonly persistentRedis?: boolean;
}

export interface WorkerProcess extends RoleProcess {
  readonly id: string;
  readonly metricsUrl: string;
}

export interface LocalFarm {
  readonly apiUrl: string;
  /** The single Redis URL; empty when the farm runs on `redisEnv` without a REDIS_URL (Sentinel, Cluster). */
  readonly redisUrl: string;
  readonly apiKey: string;
  readonly api: RoleProcess;
  readonly workers: WorkerProcess[];
  readonly env: NodeJS.ProcessEnv;
  /** The private Redis, when this farm started one (fault-injection tests halt and restart it). */
  readonly redis: PrivateRedis | undefined;
  addWorker(extraEnv?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/**
 * A whole farm on one machine: a private Redis, one API process and N worker processes, each a
 * real process talking over real sockets. Used by `npm start`, `npm run demo` and the e2e tests.
 */
export async function startLocalFarm(options: LocalFarmOptions = {}): Promise<LocalFarm> {
  let redis: PrivateRedis | undefined = options.privateRedis;
  const external = options.redisEnv !== undefined || options.redisUrl !== undefined;
  if (!external && !redis) redis = await startPrivateRedis({ appendonly: options.persistentRedis });
  const redisConnection: NodeJS.ProcessEnv = options.redisEnv ?? { REDIS_URL: options.redisUrl ?? redis?.url };
  const redisUrl = redisConnection.REDIS_URL ?? '';
  const port = options.port ?? (await findFreePort());
  const apiKey = options.apiKey ?? `atl_local_${randomBytes(16).toString('hex')}`;
  const apiUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...withoutRedisConnection(process.env),
    ...redisConnection,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: apiUrl,
    ATELIER_BOOTSTRAP_API_KEY: apiKey,
    ...options.env,
  };
  const processes: RoleProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled([...processes].reverse().map((process) => process.stop()));
    await redis?.stop();
  };
  try {
    const api = spawnRole('api', { env, output: options.output });
    processes.push(api);
    await waitForHttp(`${apiUrl}/readyz`, 60_000, () => api.child.exitCode === null);
    const workers: WorkerProcess[] = [];
    const addWorker = async (extraEnv: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> => {
      const index = workers.length;
      const metricsPort = await findFreePort();
      const id = `local-worker-${index}-${process.pid}`;
      const spawned = spawnRole('worker', {
        env: { ...env, METRICS_PORT: String(metricsPort), WORKER_ID: id, ...extraEnv },
        output: options.output,
        label: `worker-${index}`,
      });
      const worker: WorkerProcess = { ...spawned, id, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
      workers.push(worker);
      processes.push(worker);
      return worker;
    };
    for (let index = 0; index < (options.workers ?? 1); index++) await addWorker();
    const model = options.waitForModel ?? 'demo-sd15';
    if (model) await waitForModel(apiUrl, apiKey, model, 180_000, () => workers.every((worker) => worker.child.exitCode === null));
    return { apiUrl, redisUrl, apiKey, api, workers, env, redis, addWorker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The parent's own Redis variables must not leak into a farm pointed elsewhere (two topologies at once is an error). */
function withoutRedisConnection(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(source).filter(([key]) => !REDIS_CONNECTION_VARIABLES.includes(key)));
}

export const REDIS_CONNECTION_VARIABLES: readonly string[] = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_MASTER',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'REDIS_TLS',
  'REDIS_TLS_CA_FILE',
  'REDIS_TLS_SERVERNAME',
];

async function waitForModel(apiUrl: string, apiKey: string, model: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('a worker exited during startup');
    const response = await fetch(`${apiUrl}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } }).catch(() => undefined);
    if (response?.ok) {
      // The catalog outlives workers (scale from zero): wait for a live worker serving the model.
      const body = (await response.json()) as { data: Array<{ id: string; live_workers?: number }> };
      if (body.data.some((entry) => entry.id === model && (entry.live_workers ?? 1) > 0)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no worker registered model ${model} within ${timeoutMs} ms`);
}
