import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../free-port.js';
import { redisCli, spawnRedisProcess, waitFor, type RedisProcess } from './redis-process.js';

export interface LocalRedisSentinel {
  readonly masterName: string;
  /** `127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3`, ready for REDIS_SENTINELS. */
  readonly sentinels: string;
  /** Data nodes by port: the first master and its replica. */
  readonly dataNodes: ReadonlyMap<number, RedisProcess>;
  /** The master the sentinels name now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A real Sentinel deployment on loopback: a master, one replica and three `redis-server
 * --sentinel` processes with quorum 2 and a short down-after, so killing the master promotes the
 * replica within seconds.
 */
export async function startRedisSentinel(options: { masterName?: string; downAfterMs?: number } = {}): Promise<LocalRedisSentinel> {
  const masterName = options.masterName ?? 'atelier';
  const root = await mkdtemp(path.join(tmpdir(), 'atelier-sentinel-'));
  const dataNodes = new Map<number, RedisProcess>();
  const sentinels = new Map<number, RedisProcess>();
  const stop = async (): Promise<void> => {
    await Promise.allSettled([...sentinels.values(), ...dataNodes.values()].map((node) => node.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const masterPort = await findFreePort();
    const replicaPort = await findFreePort();
    for (const port of [masterPort, replicaPort]) {
      const dir = path.join(root, String(port));
      await mkdir(dir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'no', '--save', '', '--maxmemory-policy', 'noeviction'];
      if (port === replicaPort) args.push('--replicaof', '127.0.0.1', String(masterPort));
      dataNodes.set(port, await spawnRedisProcess(port, args));
    }
    await waitFor(async () => (await redisCli(replicaPort, ['info', 'replication'])).includes('master_link_status:up'), 30_000, 'the replica to sync');
    for (let index = 0; index < 3; index++) {
      const port = await findFreePort();
      const config = path.join(root, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file as it learns the topology, so each gets its own.
      await writeFile(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${root}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      sentinels.set(port, await spawnRedisProcess(port, [config, '--sentinel']));
    }
    // A failover needs every sentinel to know the replica and its peers (learned over a few seconds).
    await waitFor(
      async () => {
        for (const port of sentinels.keys()) {
          const replicas = await redisCli(port, ['sentinel', 'replicas', masterName]);
          const peers = await redisCli(port, ['sentinel', 'sentinels', masterName]);
          if (!replicas.includes(String(replicaPort)) || peers.split('\n').filter((line) => line === 'runid').length < 2) return false;
        }
        return true;
      },
      60_000,
      'the sentinels to discover the replica and each other',
    );
    const anySentinel = [...sentinels.keys()][0];
    return {
      masterName,
      sentinels: [...sentinels.keys()].map((port) => `127.0.0.1:${port}`).join(','),
      dataNodes,
      masterPort: async () => Number((await redisCli(anySentinel, ['sentinel', 'get-master-addr-by-name', masterName])).split('\n')[1]),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
