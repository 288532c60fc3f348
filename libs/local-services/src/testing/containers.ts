import type { StartedTestContainer } from 'testcontainers';
import { findFreePort } from '../free-port.js';
import type { PrivateRedis } from '../redis-server.js';

/** What a test needs of an S3 server: the shape `startS3rver` returns, so either backend fits. */
export interface RunningS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

const REDIS_IMAGE = 'redis:7.4-alpine';
const MINIO_IMAGE = 'minio/minio:RELEASE.2025-04-22T22-12-26Z';

/**
 * Redis in a container (testcontainers), bound to a fixed free host port so that a restart
 * (fault tests halt and start it) comes back where the farm expects it.
 */
export async function startRedisTestcontainer(options: { appendonly?: boolean } = {}): Promise<PrivateRedis> {
  // Loaded only on this path: machines without Docker never load testcontainers at all.
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await findFreePort();
  const command = ['redis-server', '--save', '', '--maxmemory-policy', 'noeviction', ...(options.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'])];
  const container: StartedTestContainer = await new GenericContainer(REDIS_IMAGE)
    .withCommand(command)
    .withExposedPorts({ container: 6379, host: port })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .start();
  let running = true;
  return {
    url: `redis://${container.getHost()}:${port}`,
    port,
    // SHUTDOWN flushes the AOF like SIGTERM does; redis-server is the container's PID 1, so it exits.
    halt: async () => {
      if (!running) return;
      await container.exec(['redis-cli', 'shutdown']).catch(() => undefined);
      running = false;
    },
    start: async () => {
      if (running) return;
      await container.restart();
      running = true;
    },
    stop: async () => {
      await container.stop();
      running = false;
    },
  };
}

/** MinIO in a container with `bucket` created: S3 over HTTP, like s3rver but a production server. */
export async function startMinioTestcontainer({ bucket }: { bucket: string }): Promise<RunningS3> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const accessKeyId = 'atelier-test';
  const secretAccessKey = 'atelier-test-secret';
  const container = await new GenericContainer(MINIO_IMAGE)
    .withCommand(['server', '/data'])
    .withEnvironment({ MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey })
    .withExposedPorts(9000)
    .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
    .start();
  const endpoint = `http://${container.getHost()}:${container.getMappedPort(9000)}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    await container.stop();
    throw error;
  } finally {
    client.destroy();
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    stop: () => {
      stopped ??= container.stop().then(() => undefined);
      return stopped;
    },
  };
}
