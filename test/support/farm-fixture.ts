import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalFarm, type LocalFarm } from '@atelier/local-services';
import { mergeFarmEnv, testFarmEnv } from './farm-env.js';
import type { RunningS3 } from '@atelier/local-services/testing';
import { startTestRedis, startTestS3 } from './test-services.js';
import { generateWebhookSecret } from '@atelier/webhooks';
import { startWebhookReceiver, type RunningWebhookReceiver } from '@atelier/webhooks/testing';
import { TestApiClient } from './api-client.js';

export interface FarmFixture {
  readonly farm: LocalFarm;
  readonly s3: RunningS3;
  readonly receiver: RunningWebhookReceiver;
  readonly api: TestApiClient;
  readonly webhookSecret: string;
  stop(): Promise<void>;
}

/**
 * Real parts only: a private Redis and an S3 server (spawned redis-server and s3rver, or Redis and
 * MinIO containers where a Docker engine answers: see test-services.ts), a webhook receiver that
 * verifies signatures with the reference library, and API and worker as separate processes.
 */
export async function startFarmFixture(env: NodeJS.ProcessEnv = {}, workers = 1, options: { output?: NodeJS.WritableStream; webhookSecret?: string; redisEnv?: NodeJS.ProcessEnv } = {}): Promise<FarmFixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'atelier-e2e-'));
  const webhookSecret = options.webhookSecret ?? generateWebhookSecret();
  const s3 = await startTestS3('atelier-e2e');
  const receiver = await startWebhookReceiver({ secret: webhookSecret });
  let farm: LocalFarm;
  try {
    farm = await startLocalFarm({
      workers,
      redisEnv: options.redisEnv,
      // A test that brings its own topology (Cluster, Sentinel, TLS) gets no private Redis.
      privateRedis: options.redisEnv ? undefined : await startTestRedis(),
      output: options.output ?? (process.env.E2E_VERBOSE ? process.stderr : undefined),
      env: mergeFarmEnv(testFarmEnv({ dataDir, s3, webhookSecret, webhookReceiver: new URL(receiver.url).host }), env),
    });
  } catch (error) {
    // A farm that cannot start must not leave its helpers running (the test process would hang).
    await receiver.stop();
    await s3.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    farm,
    s3,
    receiver,
    webhookSecret,
    api: new TestApiClient(farm.apiUrl, farm.apiKey),
    stop: async () => {
      await farm.stop();
      await receiver.stop();
      await s3.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
