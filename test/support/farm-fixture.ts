import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalFarm, type LocalFarm } from '#libs/local-services/src/index.js';
import { mergeFarmEnv, testFarmEnv } from './farm-env.js';
import { startS3rver, type RunningS3rver } from '#libs/storage/src/testing/s3rver-server.js';
import { generateWebhookSecret } from '#libs/webhooks/src/index.js';
import { startWebhookReceiver, type RunningWebhookReceiver } from '#libs/webhooks/src/testing/webhook-receiver.js';
import { TestApiClient } from './api-client.js';

export interface FarmFixture {
  readonly farm: LocalFarm;
  readonly s3: RunningS3rver;
  readonly receiver: RunningWebhookReceiver;
  readonly api: TestApiClient;
  readonly webhookSecret: string;
  stop(): Promise<void>;
}

/**
 * Real parts only: a private redis-server, s3rver speaking S3 over HTTP, a webhook receiver that
 * verifies signatures with the reference library, and API and worker as separate processes.
 */
export async function startFarmFixture(env: NodeJS.ProcessEnv = {}, workers = 1, options: { output?: NodeJS.WritableStream; webhookSecret?: string } = {}): Promise<FarmFixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'atelier-e2e-'));
  const webhookSecret = options.webhookSecret ?? generateWebhookSecret();
  const s3 = await startS3rver({ bucket: 'atelier-e2e' });
  const receiver = await startWebhookReceiver({ secret: webhookSecret });
  let farm: LocalFarm;
  try {
    farm = await startLocalFarm({
      workers,
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
