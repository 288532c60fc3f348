import path from 'node:path';

/** Environment every test farm shares: storage on s3rver, webhooks allowed to loopback, fast retries. */
export function testFarmEnv(input: {
  dataDir: string;
  s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  webhookSecret: string;
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
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_SCHEDULE_MS: '200,400,800,1600',
    WEBHOOK_MAX_ATTEMPTS: '5',
    PROGRESS_INTERVAL_MS: '0',
    MODELS_DIR: path.join(input.dataDir, 'models'),
  };
}
