import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { startMinioTestcontainer, startRedisTestcontainer, testServiceBackend, type RunningS3 } from '@atelier/local-services/testing';
import { startS3rver } from '@atelier/storage/testing';

/**
 * Redis and S3 for a test farm: containers (testcontainers) where a Docker engine answers,
 * otherwise spawned redis-server and in-process s3rver. ATELIER_TEST_SERVICES forces either.
 */
export async function startTestRedis(options: { appendonly?: boolean } = {}): Promise<PrivateRedis> {
  return (await testServiceBackend()) === 'containers' ? startRedisTestcontainer(options) : startPrivateRedis(options);
}

export async function startTestS3(bucket: string): Promise<RunningS3> {
  return (await testServiceBackend()) === 'containers' ? startMinioTestcontainer({ bucket }) : startS3rver({ bucket });
}
