import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../free-port.js';
import { redisCli, spawnRedisProcess, waitFor, type RedisProcess } from './redis-process.js';
import { generateTestCertificates, tlsServerArguments, type TestCertificates } from './redis-tls.js';

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** The master this node replicates (replicas only). */
  readonly masterId?: string;
  readonly failed: boolean;
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

export interface LocalRedisCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,...`, ready for REDIS_CLUSTER_NODES. */
  readonly seeds: string;
  readonly processes: ReadonlyMap<number, RedisProcess>;
  /** With `tls: true`: the PKI every node's certificate comes from (clients trust `caFile`). */
  readonly certificates?: TestCertificates;
  /** The cluster's view, asked of a live node. */
  topology(): Promise<ClusterNode[]>;
  keySlot(key: string): Promise<number>;
  /** The master serving `slot` now. */
  masterOf(slot: number): Promise<ClusterNode>;
  /** Resolves once every slot is served by a live master and the cluster reports ok. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalRedisClusterOptions {
  readonly masters?: number;
  /** How long a silent master takes to be declared failed and replaced by its replica. */
  readonly nodeTimeoutMs?: number;
  /** Nodes speak TLS only, to clients, to each other (cluster bus) and to their replicas. */
  readonly tls?: boolean;
}

/**
 * A real Redis Cluster on loopback: `masters` × 2 `redis-server --cluster-enabled yes` processes
 * (temp dirs, free ports, both client and bus ports chosen) joined by `redis-cli --cluster create
 * --cluster-replicas 1`, so each master has one replica that takes over when it dies (resolves once
 * every replica holds its master's data).
 */
export async function startRedisCluster(options: LocalRedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const masters = options.masters ?? 3;
  const root = await mkdtemp(path.join(tmpdir(), 'atelier-cluster-'));
  const processes = new Map<number, RedisProcess>();
  const stop = async (): Promise<void> => {
    await Promise.allSettled([...processes.values()].map((node) => node.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    const certificates = options.tls ? await generateTestCertificates(root) : undefined;
    const cliTls = certificates ? ['--tls', '--cacert', certificates.caFile] : [];
    const listen = (port: number): string[] =>
      certificates ? ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', ...tlsServerArguments(certificates)] : ['--port', String(port)];
    const cli = (port: number, args: readonly string[]): Promise<string> => redisCli(port, args, cliTls);
    for (let index = 0; index < masters * 2; index++) {
      const port = await findFreePort();
      const busPort = await findFreePort();
      const dir = path.join(root, String(port));
      await mkdir(dir);
      const node = await spawnRedisProcess(port, [
        ...listen(port),
        '--cluster-port', String(busPort),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', path.join(dir, 'nodes.conf'),
        '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
        // Replicas start their first full sync at once instead of after the default 5 s wait for
        // other replicas (see the sync wait below).
        '--repl-diskless-sync-delay', '0',
        '--appendonly', 'no',
        '--save', '',
        '--maxmemory-policy', 'noeviction',
      ]);
      processes.set(port, node);
    }
    await cli([...processes.keys()][0], ['--cluster', 'create', ...[...processes.keys()].map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
    const live = (): number => [...processes.values()].find((node) => node.child.exitCode === null && node.child.signalCode === null)?.port as number;
    const topology = async (): Promise<ClusterNode[]> => parseClusterNodes(await cli(live(), ['cluster', 'nodes']));
    const cluster: LocalRedisCluster = {
      seeds: [...processes.keys()].map((port) => `127.0.0.1:${port}`).join(','),
      processes,
      ...(certificates && { certificates }),
      topology,
      keySlot: async (key) => Number(await cli(live(), ['cluster', 'keyslot', key])),
      masterOf: async (slot) => {
        const owner = (await topology()).find((node) => node.role === 'master' && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to));
        if (!owner) throw new Error(`no live master serves slot ${slot}`);
        return owner;
      },
      waitHealthy: async (timeoutMs = 60_000) => {
        await waitFor(
          async () => {
            for (const [port, node] of processes) {
              if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
              if (!(await cli(port, ['cluster', 'info'])).includes('cluster_state:ok')) return false;
            }
            const nodes = await topology();
            const served = nodes.filter((node) => node.role === 'master' && !node.failed).flatMap((node) => node.slots).reduce((sum, [from, to]) => sum + (to - from + 1), 0);
            return served === 16_384;
          },
          timeoutMs,
          'the Redis cluster to serve every slot',
        );
      },
      stop,
    };
    await cluster.waitHealthy();
    // A replica takes over its master's data only once its first full sync is done: killed before
    // that, a master is replaced by an empty replica (or, as Redis's validity check sees a replica
    // that never synced as infinitely stale, by none at all). Callers start writing after this.
    await waitFor(
      async () => {
        const replicas = (await topology()).filter((node) => node.role === 'replica');
        if (replicas.length !== masters) return false;
        for (const replica of replicas) if (!(await cli(replica.port, ['info', 'replication'])).includes('master_link_status:up')) return false;
        return true;
      },
      60_000,
      'every replica to finish its first sync',
    );
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Parses `CLUSTER NODES` (one line per node: id addr flags master ping pong epoch link slots...). */
export function parseClusterNodes(text: string): ClusterNode[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.trim().split(/\s+/);
      const port = Number(/:(\d+)@/.exec(address)?.[1]);
      const flagSet = new Set(flags.split(','));
      return {
        id,
        port,
        role: flagSet.has('master') ? 'master' : 'replica',
        ...(master !== '-' && { masterId: master }),
        failed: flagSet.has('fail') || flagSet.has('fail?') || flagSet.has('noaddr'),
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [from, to] = slot.split('-').map(Number);
            return [from, to ?? from] as const;
          }),
      } satisfies ClusterNode;
    });
}
