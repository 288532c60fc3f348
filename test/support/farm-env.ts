import path from 'node:path';

/**
 * Environment every test farm shares: storage on s3rver, webhooks allowed to the test's own
 * receiver (host AND port: 127.0.0.1 on another port stays refused), fast retries.
 */
export function testFarmEnv(input: {
  dataDir: string;
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  webhookSecret: string;
  /** `127.0.0.1:<port>` of the fixture's webhook receiver. */
  webhookReceiver: string;
}): NodeJS.ProcessEnv {
  return {
    DATA_DIR: input.dataDir,
    LOG_LEVEL: 'warn',
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: input.s3.endpoint,
    S3_BUCKET: input.s3.bucket,
    S3_ACCESS_KEY_ID: input.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: input.s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    WEBHOOK_SECRET: input.webhookSecret,
    WEBHOOK_ALLOWED_HOSTS: input.webhookReceiver,
    WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800,1600',
    WEBHOOK_MAX_ATTEMPTS: '5',
    PROGRESS_INTERVAL_MS: '0',
    MODELS_DIR: path.join(input.dataDir, 'models'),
  };
}

const ALLOWLISTS = ['WEBHOOK_ALLOWED_HOSTS', 'OUTBOUND_ALLOWED_HOSTS'] as const;

/** `extra` over `base`, except that allowlists are joined: a test adds its own servers to the fixture's receiver. */
export function mergeFarmEnv(base: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const merged = { ...base, ...extra };
  for (const key of ALLOWLISTS) merged[key] = [base[key], extra[key]].filter(Boolean).join(',');
  return merged;
}
