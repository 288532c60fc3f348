import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface RestartableS3rver {
  /** `http://127.0.0.1:<port>`: the same across halt/start. */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Where the objects live; kept across halt/start, deleted by `stop`. */
  readonly directory: string;
  readonly running: boolean;
  /** Storage outage: closes the listening socket and every open connection, keeps the data. */
  halt(): Promise<void>;
  /** Back on the same port with the same data directory. */
  start(): Promise<void>;
  /** Halts and deletes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

const S3RVER_CREDENTIAL = 'S3RVER';

/**
 * A real S3-protocol server (s3rver) that a fault-injection test can take down and bring back on
 * the same port with the same objects, like a storage service restarting.
 */
export async function startRestartableS3rver({ bucket }: { bucket: string }): Promise<RestartableS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'atelier-fault-s3-'));
  let port = 0;
  let server: S3rver | undefined;
  const launch = async (): Promise<void> => {
    const next = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
    const address = await next.run();
    port = address.port;
    server = next;
  };
  const halt = async (): Promise<void> => {
    const current = server;
    if (!current) return;
    server = undefined;
    const closing = current.close();
    // Keep-alive sockets would hold the server open: an outage drops them, as a dead host would.
    (current as unknown as { httpServer?: Server }).httpServer?.closeAllConnections();
    await closing;
  };
  try {
    await launch();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    bucket,
    accessKeyId: S3RVER_CREDENTIAL,
    secretAccessKey: S3RVER_CREDENTIAL,
    directory,
    get running() {
      return server !== undefined;
    },
    halt,
    start: async () => {
      if (!server) await launch();
    },
    stop: () => {
      stopped ??= halt().then(() => rm(directory, { recursive: true, force: true }));
      return stopped;
    },
  };
}
